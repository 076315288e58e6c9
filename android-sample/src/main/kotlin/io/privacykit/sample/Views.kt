package io.privacykit.sample

import android.content.Context
import android.graphics.Typeface
import android.text.InputType
import android.view.View
import android.view.ViewGroup
import android.widget.Button
import android.widget.EditText
import android.widget.LinearLayout
import android.widget.ScrollView
import android.widget.Switch
import android.widget.TextView

/**
 * The sample's screens are built in code with the platform's own views, so it needs no
 * resources and no support library. Views that tests or other code look up carry a tag.
 */
class Column(val context: Context) {
    val layout = LinearLayout(context).apply {
        orientation = LinearLayout.VERTICAL
        val pad = dp(16)
        setPadding(pad, pad, pad, pad)
    }

    fun clear() = layout.removeAllViews()

    fun title(text: String, tag: String? = null): TextView = text(text, tag).apply {
        textSize = 22f
        setTypeface(typeface, Typeface.BOLD)
        setPadding(0, dp(16), 0, dp(8))
    }

    fun heading(text: String, tag: String? = null): TextView = text(text, tag).apply {
        textSize = 17f
        setTypeface(typeface, Typeface.BOLD)
        setPadding(0, dp(12), 0, dp(4))
    }

    fun text(text: String, tag: String? = null): TextView = add(TextView(context).apply {
        this.text = text
        this.tag = tag
        textSize = 15f
    })

    fun note(text: String, tag: String? = null): TextView = text(text, tag).apply {
        textSize = 13f
        alpha = 0.75f
    }

    fun button(label: String, tag: String, onClick: () -> Unit): Button = add(Button(context).apply {
        text = label
        this.tag = tag
        setOnClickListener { onClick() }
    })

    fun switch(label: String, tag: String, checked: Boolean, enabled: Boolean = true, onChange: (Boolean) -> Unit): Switch =
        add(Switch(context).apply {
            text = label
            this.tag = tag
            isChecked = checked
            isEnabled = enabled
            setOnCheckedChangeListener { _, on -> onChange(on) }
        })

    fun numberField(hint: String, tag: String): EditText = add(EditText(context).apply {
        this.hint = hint
        this.tag = tag
        inputType = InputType.TYPE_CLASS_NUMBER
    })

    /** Buttons side by side with equal widths: no choice is easier to reach than another. */
    fun equalButtons(vararg buttons: Pair<String, Pair<String, () -> Unit>>): List<Button> {
        val row = LinearLayout(context).apply { orientation = LinearLayout.HORIZONTAL }
        val made = buttons.map { (label, action) ->
            Button(context).apply {
                text = label
                tag = action.first
                setOnClickListener { action.second() }
                row.addView(this, LinearLayout.LayoutParams(0, ViewGroup.LayoutParams.WRAP_CONTENT, 1f))
            }
        }
        add(row)
        return made
    }

    fun <V : View> add(view: V): V {
        layout.addView(view, LinearLayout.LayoutParams(ViewGroup.LayoutParams.MATCH_PARENT, ViewGroup.LayoutParams.WRAP_CONTENT))
        return view
    }

    fun scrolling(): ScrollView = ScrollView(context).apply { addView(layout) }

    private fun dp(value: Int): Int = (value * context.resources.displayMetrics.density).toInt()
}
