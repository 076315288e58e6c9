package io.privacykit

/**
 * A small strict JSON reader for the tests (the test classpath has no JSON library): objects
 * become [Map] (insertion order kept), arrays [List], numbers [Long] or [Double], plus
 * [String], [Boolean] and `null`. Anything malformed or trailing throws.
 */
object MiniJson {
    fun parse(text: String): Any? {
        val reader = Reader(text)
        val value = reader.value()
        reader.skipSpace()
        require(reader.pos == text.length) { "trailing characters at ${reader.pos}" }
        return value
    }

    private class Reader(val s: String) {
        var pos = 0

        fun skipSpace() {
            while (pos < s.length && s[pos] in " \t\r\n") pos++
        }

        fun value(): Any? {
            skipSpace()
            require(pos < s.length) { "unexpected end" }
            return when (s[pos]) {
                '{' -> obj()
                '[' -> array()
                '"' -> string()
                't' -> literal("true", true)
                'f' -> literal("false", false)
                'n' -> literal("null", null)
                else -> number()
            }
        }

        private fun literal(word: String, value: Any?): Any? {
            require(s.startsWith(word, pos)) { "bad literal at $pos" }
            pos += word.length
            return value
        }

        private fun obj(): Map<String, Any?> {
            val map = LinkedHashMap<String, Any?>()
            pos++
            skipSpace()
            if (s[pos] == '}') return map.also { pos++ }
            while (true) {
                skipSpace()
                require(s[pos] == '"') { "expected a key at $pos" }
                val key = string()
                require(key !in map) { "duplicate key $key" }
                skipSpace()
                require(s[pos++] == ':') { "expected ':' at ${pos - 1}" }
                map[key] = value()
                skipSpace()
                when (s[pos++]) {
                    ',' -> continue
                    '}' -> return map
                    else -> error("expected ',' or '}' at ${pos - 1}")
                }
            }
        }

        private fun array(): List<Any?> {
            val list = ArrayList<Any?>()
            pos++
            skipSpace()
            if (s[pos] == ']') return list.also { pos++ }
            while (true) {
                list += value()
                skipSpace()
                when (s[pos++]) {
                    ',' -> continue
                    ']' -> return list
                    else -> error("expected ',' or ']' at ${pos - 1}")
                }
            }
        }

        private fun string(): String {
            val out = StringBuilder()
            pos++ // opening quote
            while (true) {
                val c = s[pos++]
                when {
                    c == '"' -> return out.toString()
                    c == '\\' -> when (val e = s[pos++]) {
                        '"', '\\', '/' -> out.append(e)
                        'b' -> out.append('\b')
                        'f' -> out.append('\u000C')
                        'n' -> out.append('\n')
                        'r' -> out.append('\r')
                        't' -> out.append('\t')
                        'u' -> out.append(s.substring(pos, pos + 4).toInt(16).toChar()).also { pos += 4 }
                        else -> error("bad escape \\$e at ${pos - 1}")
                    }
                    c < ' ' -> error("control character in a string at ${pos - 1}")
                    else -> out.append(c)
                }
            }
        }

        private fun number(): Any {
            val start = pos
            if (s[pos] == '-') pos++
            while (pos < s.length && (s[pos].isDigit() || s[pos] in ".eE+-")) pos++
            val text = s.substring(start, pos)
            require(text.isNotEmpty() && text != "-") { "unexpected character at $start" }
            return if (text.any { it in ".eE" }) text.toDouble() else text.toLong()
        }
    }
}

/** `json["a"]` style access for the tests: a key of an object. */
@Suppress("UNCHECKED_CAST")
operator fun Any?.get(key: String): Any? = (this as Map<String, Any?>)[key]

/** An element of an array. */
@Suppress("UNCHECKED_CAST")
operator fun Any?.get(index: Int): Any? = (this as List<Any?>)[index]

@Suppress("UNCHECKED_CAST")
fun Any?.asList(): List<Any?> = this as List<Any?>

@Suppress("UNCHECKED_CAST")
fun Any?.asMap(): Map<String, Any?> = this as Map<String, Any?>
