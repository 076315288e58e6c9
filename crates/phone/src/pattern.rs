//! A small regular-expression matcher for the national-number patterns of libphonenumber's
//! metadata, such as `(?:[2-9]\d{2}|1[2-9])\d{6,7}`.
//!
//! A general engine costs ~10 ms to compile all of libphonenumber's patterns at start-up
//! (`regex`), or is slow per match (`regex-lite`: hundreds of nanoseconds for a 10-digit number
//! against a large pattern, more through rlibphonenumber). These patterns use a tiny subset of
//! regular expressions over ASCII digits, so a purpose-built backtracker compiles each in a few
//! microseconds and matches a number in tens of nanoseconds.
//!
//! **Syntax** (exactly what the metadata uses; anything else is a [`PatternError`]): digits
//! `0`-`9`; `\d` (ASCII digits only); classes of digits, ranges and `\d` such as `[2-46-9]`;
//! capturing `( )` and non-capturing `(?: )` groups; alternation `|`, with empty alternatives;
//! greedy `?`, `*`, `+`, `{n}`, `{n,}`, `{n,m}` after a digit, `\d`, class or group; and `$`.
//!
//! **Semantics** are those of a backtracking engine such as Java's or Python's: alternatives
//! are tried left to right, greedy quantifiers longest first. [`Pattern::matches`] accepts an
//! input if *any* way through the pattern consumes all of it; [`Pattern::looking_at`] reports
//! the first match anchored at the start, in that priority order, with Java's capture spans.
//! Two corners where engines disagree never occur in the metadata (which repeats groups only
//! with `?`): after an iteration of an unbounded loop (`*`, `+`, `{n,}`) that consumed nothing,
//! the loop ends and goes on with what follows, keeping that iteration's group spans, as Java
//! and Python do (regex-lite drops them unless it was the first iteration); and `{n,m}` on a
//! group runs as n copies then m-n nested optional ones, as Python and regex-lite do, whereas
//! Java ends the repetition at the first empty iteration, even before the n-th (so with a
//! group that can match empty, Java may report other spans, or rarely another match).
//!
//! **How.** A pattern is parsed into a tree and compiled into a flat program for a backtracking
//! machine with an explicit stack (no recursion at match time, no heap allocation unless a
//! match needs more than [`INLINE_FRAMES`] pending frames). Every choice point carries a guard
//! computed at compile time from the rest of the pattern: the set of bytes the rest can start
//! with (a 10-bit digit mask plus end-of-input) and the minimum and maximum number of bytes the
//! rest can consume. A branch, optional part or run length whose guard excludes the next byte
//! or the remaining length is never entered. The metadata's patterns are prefix trees of
//! alternatives ending in counted `\d` runs, so these guards leave almost no backtracking:
//! a number is usually matched or rejected on its way down one path of the tree.
// The phone normalizer will use this module; until then only its tests do.

use std::fmt;

/// Capturing groups a pattern may have; the metadata's have at most three.
const MAX_GROUPS: usize = 9;
/// How deep groups may nest; the metadata's nest at most about 8 deep. Bounds the parser's
/// and the compiler's recursion.
const MAX_NESTING: usize = 32;
/// Largest count in `{n}`, `{n,}` or `{n,m}`; the metadata's are at most 14.
const MAX_REPEAT: u32 = 1000;
/// Longest pattern source: the metadata's are at most about 5 KB. Bounds the work and memory
/// spent before the instruction cap below can apply.
const MAX_SOURCE_LEN: usize = 1 << 16;
/// Largest compiled program. The metadata's patterns compile to about one instruction per two
/// bytes of source; the cap stops a repeated group such as `(?:(?:12){999}){999}` from
/// expanding without end.
const MAX_INSTRUCTIONS: usize = 1 << 16;
/// Nodes the compiler may visit (repetitions compile their body once per copy). Also stops
/// repetitions of something that compiles to nothing, such as `(?:(?:(?:){999}){999}){999}`,
/// which the instruction cap would never see.
const MAX_COMPILE_STEPS: usize = 4 * MAX_INSTRUCTIONS;
/// Choice points kept on the machine's stack before spilling to the heap. Metadata matches
/// need a handful; long inputs against nested loops may need more.
const INLINE_FRAMES: usize = 32;
/// Registers: two per capturing group, then one per nesting level of unbounded loops whose body
/// can match empty (the position where the current iteration started, to stop empty loops).
const SLOT_COUNT: usize = 2 * MAX_GROUPS + MAX_NESTING;
/// A register that holds no position: a group that did not take part in the match.
const UNSET: u32 = u32::MAX;
/// No upper bound on a length.
const UNBOUNDED: u32 = u32::MAX;
/// A jump target to be filled in once the code it jumps over is compiled.
const PLACEHOLDER: u32 = u32::MAX;

/// What the next input byte can be, as a bit: bit d for the ASCII digit d, then end of input,
/// then any other byte (which no pattern consumes, but an empty match may stop before it).
const ALL_DIGITS: u16 = 0x3ff;
const END_OF_INPUT: u16 = 1 << 10;
const OTHER_BYTE: u16 = 1 << 11;
const ANY_CLASS: u16 = ALL_DIGITS | END_OF_INPUT | OTHER_BYTE;

const BYTE_CLASS: [u16; 256] = {
    let mut table = [OTHER_BYTE; 256];
    let mut digit = 0;
    while digit < 10 {
        table[b'0' as usize + digit] = 1 << digit;
        digit += 1;
    }
    table
};

#[inline]
fn class_at(input: &[u8], pos: u32) -> u16 {
    match input.get(pos as usize) {
        Some(&byte) => BYTE_CLASS[byte as usize],
        None => END_OF_INPUT,
    }
}

/// Why a pattern was refused, and at which byte of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PatternError {
    kind: PatternErrorKind,
    offset: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PatternErrorKind {
    /// A byte that is not part of the supported syntax, such as `a`, `.` or `^`.
    UnexpectedCharacter,
    /// A backslash not followed by `d`.
    UnsupportedEscape,
    /// A `(` without its `)`; the offset is the `(`.
    UnclosedGroup,
    /// A `)` without its `(`.
    UnmatchedCloseParen,
    /// `(?` followed by anything but `:`, such as a look-ahead or a flag.
    UnsupportedGroup,
    /// `[^...]`.
    NegatedClass,
    /// A `[` without its `]`; the offset is the `[`.
    UnclosedClass,
    /// `[]`.
    EmptyClass,
    /// Something in a class other than a digit, a range of digits or `\d`.
    MalformedClass,
    /// A range such as `[5-2]`.
    ReversedClassRange,
    /// A quantifier at the start of the pattern, of a group or of an alternative, or after `$`.
    NothingToRepeat,
    /// A lazy (`??`), possessive (`?+`) or doubled (`\d{2}*`) quantifier.
    UnsupportedQuantifier,
    /// A `{` that does not start `{n}`, `{n,}` or `{n,m}`.
    MalformedRepetition,
    /// `{n,m}` with m < n.
    ReversedRepetition,
    /// A count above [`MAX_REPEAT`].
    RepetitionTooLarge,
    /// More than [`MAX_GROUPS`] capturing groups.
    TooManyGroups,
    /// Groups nested more than [`MAX_NESTING`] deep.
    NestingTooDeep,
    /// The pattern is longer than [`MAX_SOURCE_LEN`] (the offset is 0), or its repetitions
    /// expand to more than [`MAX_INSTRUCTIONS`] or [`MAX_COMPILE_STEPS`] (the offset is the
    /// innermost repetition being expanded, if any).
    PatternTooLarge,
}

impl PatternError {
    fn new(kind: PatternErrorKind, offset: usize) -> PatternError {
        PatternError { kind, offset }
    }

    #[cfg(test)]
    pub(crate) fn kind(&self) -> PatternErrorKind {
        self.kind
    }

    /// Byte offset in the pattern where the error is.
    #[cfg(test)]
    pub(crate) fn offset(&self) -> usize {
        self.offset
    }
}

impl fmt::Display for PatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use PatternErrorKind::*;
        let what = match self.kind {
            UnexpectedCharacter => "unsupported character",
            UnsupportedEscape => "unsupported escape (only \\d is supported)",
            UnclosedGroup => "'(' without a matching ')'",
            UnmatchedCloseParen => "')' without a matching '('",
            UnsupportedGroup => "unsupported group (only '(' and '(?:' are supported)",
            NegatedClass => "negated character class",
            UnclosedClass => "'[' without a matching ']'",
            EmptyClass => "empty character class",
            MalformedClass => "character class with something other than digits, ranges or \\d",
            ReversedClassRange => "character class range out of order",
            NothingToRepeat => "quantifier with nothing to repeat",
            UnsupportedQuantifier => "lazy, possessive or doubled quantifier",
            MalformedRepetition => "'{' not starting {n}, {n,} or {n,m}",
            ReversedRepetition => "repetition {n,m} with m less than n",
            RepetitionTooLarge => "repetition count above 1000",
            TooManyGroups => "more than 9 capturing groups",
            NestingTooDeep => "groups nested more than 32 deep",
            PatternTooLarge => "pattern too long or expanding to too many instructions",
        };
        write!(f, "{what} at byte {} of the pattern", self.offset)
    }
}

impl std::error::Error for PatternError {}

/// A compiled pattern. Matching never recurses, and never allocates unless a match needs more
/// than [`INLINE_FRAMES`] pending frames (choice points and register writes to undo).
pub(crate) struct Pattern {
    source: Box<str>,
    program: Box<[Inst]>,
    branches: Box<[Branch]>,
    /// The whole pattern's guard, checked before starting.
    entry: Guard,
    group_count: u8,
}

impl fmt::Debug for Pattern {
    // The source is public metadata; the program is noise.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Pattern").field(&self.source).finish()
    }
}

/// Where a [`Pattern::looking_at`] match ends and where its groups matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Captures {
    end: u32,
    group_count: u8,
    /// Start and end of each group, [`UNSET`] if it did not take part.
    spans: [u32; 2 * MAX_GROUPS],
}

impl Captures {
    /// Where the match ends (it starts at 0).
    pub(crate) fn end(&self) -> usize {
        self.end as usize
    }

    /// Group 0 is the whole match; groups 1 to [`group_count`](Self::group_count) are the
    /// capturing groups in the order of their `(`, as in Java and Python. `None` for a group
    /// that did not take part (or a number past the last group); a group repeated by a
    /// quantifier reports its last iteration.
    pub(crate) fn group(&self, index: usize) -> Option<(usize, usize)> {
        if index == 0 {
            return Some((0, self.end()));
        }
        if index > usize::from(self.group_count) {
            return None;
        }
        let start = *self.spans.get(2 * (index - 1))?;
        let end = *self.spans.get(2 * (index - 1) + 1)?;
        if start == UNSET || end == UNSET {
            return None;
        }
        Some((start as usize, end as usize))
    }

    /// The number of capturing groups in the pattern (not counting group 0).
    pub(crate) fn group_count(&self) -> usize {
        usize::from(self.group_count)
    }
}

impl Pattern {
    /// Compiles `source`; the error says what is wrong and at which byte.
    pub(crate) fn new(source: &str) -> Result<Pattern, PatternError> {
        if source.len() > MAX_SOURCE_LEN {
            return Err(PatternError::new(PatternErrorKind::PatternTooLarge, 0));
        }
        let mut parser = Parser {
            source: source.as_bytes(),
            pos: 0,
            groups: 0,
            depth: 0,
        };
        let root = parser.parse_alternation()?;
        // The top-level alternation stops only at the end or at a `)` that closes nothing.
        if parser.pos < source.len() {
            return Err(PatternError::new(
                PatternErrorKind::UnmatchedCloseParen,
                parser.pos,
            ));
        }
        let mut compiler = Compiler {
            program: Vec::new(),
            branches: Vec::new(),
            nullable_loop_depth: 0,
            repeat_offset: 0,
            steps: 0,
        };
        compiler.compile(&root, Guard::AT_MATCH)?;
        compiler.emit(Inst::Match)?;
        Ok(Pattern {
            source: source.into(),
            program: compiler.program.into_boxed_slice(),
            branches: compiler.branches.into_boxed_slice(),
            entry: Guard::before(root.shape, Guard::AT_MATCH),
            group_count: parser.groups,
        })
    }

    /// Java `Matcher.matches()`, Python `re.fullmatch`: whether the whole input matches.
    /// (Inputs of 4 GiB or more never match.)
    pub(crate) fn matches(&self, input: &[u8]) -> bool {
        let mut slots = [UNSET; SLOT_COUNT];
        self.execute::<true, false>(input, &mut slots).is_some()
    }

    /// Java `Matcher.lookingAt()`, Python `re.match`: the first match anchored at the start of
    /// the input, ending anywhere, in backtracking priority order (alternatives left to right,
    /// greedy quantifiers longest first), with its groups.
    pub(crate) fn looking_at(&self, input: &[u8]) -> Option<Captures> {
        let mut slots = [UNSET; SLOT_COUNT];
        let end = self.execute::<false, true>(input, &mut slots)?;
        let mut spans = [UNSET; 2 * MAX_GROUPS];
        spans.copy_from_slice(&slots[..2 * MAX_GROUPS]);
        Some(Captures {
            end,
            group_count: self.group_count,
            spans,
        })
    }

    /// Whether some prefix of the input matches: `looking_at(input).is_some()` without
    /// recording groups.
    pub(crate) fn matches_prefix(&self, input: &[u8]) -> bool {
        let mut slots = [UNSET; SLOT_COUNT];
        self.execute::<false, false>(input, &mut slots).is_some()
    }

    /// Runs the program: `FULL` requires the match to end at the end of the input, `CAPTURE`
    /// records groups in `slots`. Returns where the match ends.
    fn execute<const FULL: bool, const CAPTURE: bool>(
        &self,
        input: &[u8],
        slots: &mut [u32; SLOT_COUNT],
    ) -> Option<u32> {
        // Positions are u32 to keep stack frames small; UNSET must not be a position.
        let len = u32::try_from(input.len()).ok().filter(|&len| len < UNSET)?;
        if !self.entry.admits::<FULL>(class_at(input, 0), len) {
            return None;
        }
        let mut stack = BacktrackStack::new();
        let mut pc = 0usize;
        let mut pos = 0u32;
        // Every instruction either continues 'exec (having moved `pc`, and `pos` if it
        // consumed) or falls through to the backtracking below. The compiler only emits jump
        // targets and register numbers inside the program and the slot array.
        'exec: loop {
            match self.program[pc] {
                Inst::Byte(mask) => {
                    if class_at(input, pos) & mask != 0 {
                        pc += 1;
                        pos += 1;
                        continue 'exec;
                    }
                }
                Inst::Run {
                    mask,
                    min,
                    max,
                    follow,
                } => {
                    let rest = len - pos;
                    let available = input[pos as usize..]
                        .iter()
                        .take(max.min(rest) as usize)
                        .take_while(|&&byte| BYTE_CLASS[byte as usize] & mask != 0)
                        .count() as u32;
                    // Lengths that leave too little for what follows, or (whole-input
                    // matches) too much, are not worth trying.
                    let longest = available.min(rest.saturating_sub(follow.min_rest));
                    let shortest = if FULL {
                        min.max(rest.saturating_sub(follow.max_rest))
                    } else {
                        min
                    };
                    if let Some(taken) =
                        longest_run::<FULL>(input, len, pos, shortest, longest, follow)
                    {
                        if taken > shortest {
                            stack.push(Frame::Run {
                                pc: pc as u32,
                                start: pos,
                                shortest,
                                longest: taken - 1,
                            });
                        }
                        pc += 1;
                        pos += taken;
                        continue 'exec;
                    }
                }
                Inst::End => {
                    if pos == len {
                        pc += 1;
                        continue 'exec;
                    }
                }
                Inst::Save(slot) => {
                    if CAPTURE {
                        let slot = slot as usize;
                        stack.push(Frame::Restore {
                            slot: slot as u32,
                            value: slots[slot],
                        });
                        slots[slot] = pos;
                    }
                    pc += 1;
                    continue 'exec;
                }
                Inst::Alternation { first, end } => {
                    let class = class_at(input, pos);
                    let rest = len - pos;
                    if let Some(taken) = self.next_branch::<FULL>(first, end, class, rest) {
                        if let Some(next) = self.next_branch::<FULL>(taken + 1, end, class, rest) {
                            stack.push(Frame::Branch {
                                branch: next,
                                end,
                                pos,
                            });
                        }
                        pc = self.branches[taken as usize].target as usize;
                        continue 'exec;
                    }
                }
                Inst::Optional {
                    body,
                    skip_to,
                    skip,
                } => {
                    let class = class_at(input, pos);
                    let rest = len - pos;
                    let can_skip = skip.admits::<FULL>(class, rest);
                    if body.admits::<FULL>(class, rest) {
                        if can_skip {
                            stack.push(Frame::Resume { pc: skip_to, pos });
                        }
                        pc += 1;
                        continue 'exec;
                    }
                    if can_skip {
                        pc = skip_to as usize;
                        continue 'exec;
                    }
                }
                Inst::Jump(target) => {
                    pc = target as usize;
                    continue 'exec;
                }
                Inst::MarkIteration(slot) => {
                    let slot = slot as usize;
                    stack.push(Frame::Restore {
                        slot: slot as u32,
                        value: slots[slot],
                    });
                    slots[slot] = pos;
                    pc += 1;
                    continue 'exec;
                }
                Inst::EndIteration { slot, exit } => {
                    // An iteration that consumed nothing would repeat forever: leave the loop.
                    pc = if slots[slot as usize] == pos {
                        exit as usize
                    } else {
                        pc + 1
                    };
                    continue 'exec;
                }
                Inst::Match => {
                    if !FULL || pos == len {
                        return Some(pos);
                    }
                }
            }
            // The instruction failed: resume the most recent choice point, undoing the
            // register writes made since.
            loop {
                match stack.pop()? {
                    Frame::Restore { slot, value } => slots[slot as usize] = value,
                    Frame::Resume {
                        pc: resume,
                        pos: at,
                    } => {
                        pc = resume as usize;
                        pos = at;
                        continue 'exec;
                    }
                    Frame::Branch {
                        branch,
                        end,
                        pos: at,
                    } => {
                        let class = class_at(input, at);
                        if let Some(next) =
                            self.next_branch::<FULL>(branch + 1, end, class, len - at)
                        {
                            stack.push(Frame::Branch {
                                branch: next,
                                end,
                                pos: at,
                            });
                        }
                        pc = self.branches[branch as usize].target as usize;
                        pos = at;
                        continue 'exec;
                    }
                    Frame::Run {
                        pc: run_pc,
                        start,
                        shortest,
                        longest,
                    } => {
                        let Inst::Run { follow, .. } = self.program[run_pc as usize] else {
                            continue;
                        };
                        if let Some(taken) =
                            longest_run::<FULL>(input, len, start, shortest, longest, follow)
                        {
                            if taken > shortest {
                                stack.push(Frame::Run {
                                    pc: run_pc,
                                    start,
                                    shortest,
                                    longest: taken - 1,
                                });
                            }
                            pc = run_pc as usize + 1;
                            pos = start + taken;
                            continue 'exec;
                        }
                    }
                }
            }
        }
    }

    /// The first branch in `from..end` whose guard admits the next byte and remaining length.
    #[inline]
    fn next_branch<const FULL: bool>(
        &self,
        from: u32,
        end: u32,
        class: u16,
        rest: u32,
    ) -> Option<u32> {
        let candidates = self.branches.get(from as usize..end as usize)?;
        let index = candidates
            .iter()
            .position(|branch| branch.guard.admits::<FULL>(class, rest))?;
        Some(from + index as u32)
    }
}

/// The longest run length in `shortest..=longest` (bytes already checked to be in the run's
/// class) after which `follow` can go on.
#[inline]
fn longest_run<const FULL: bool>(
    input: &[u8],
    len: u32,
    start: u32,
    shortest: u32,
    longest: u32,
    follow: Guard,
) -> Option<u32> {
    (shortest..=longest).rev().find(|&taken| {
        let at = start + taken;
        follow.admits::<FULL>(class_at(input, at), len - at)
    })
}

// ---------------------------------------------------------------------------------------------
// The machine.

#[derive(Debug, Clone, Copy)]
enum Inst {
    /// Consume one byte whose class is in the mask.
    Byte(u16),
    /// Consume `min..=max` bytes in the mask, as many as possible first; `follow` guards what
    /// comes after.
    Run {
        mask: u16,
        min: u32,
        max: u32,
        follow: Guard,
    },
    /// `$`.
    End,
    /// Record the position in a capture register.
    Save(u32),
    /// Try `branches[first..end]` in order.
    Alternation {
        first: u32,
        end: u32,
    },
    /// Try the code that follows (guarded by `body`), else go to `skip_to` (guarded by `skip`).
    Optional {
        body: Guard,
        skip_to: u32,
        skip: Guard,
    },
    Jump(u32),
    /// Record where an iteration of a loop whose body can match empty starts.
    MarkIteration(u32),
    /// End of such an iteration: loop again if it consumed something, else go to `exit`.
    EndIteration {
        slot: u32,
        exit: u32,
    },
    /// Success (for a whole-input match, only at the end of the input).
    Match,
}

#[derive(Debug, Clone, Copy)]
struct Branch {
    guard: Guard,
    target: u32,
}

/// A compile-time summary of everything from some point of the pattern to its end: which
/// classes the next byte may be in for a match to be possible, and how many bytes the rest of
/// the match consumes at least and at most. Checked at choice points, it prunes the paths
/// that cannot match before they are tried.
#[derive(Debug, Clone, Copy)]
struct Guard {
    lookahead: u16,
    min_rest: u32,
    max_rest: u32,
}

impl Guard {
    /// At the end of the pattern: a prefix match may stop before anything; a whole-input match
    /// needs nothing left.
    const AT_MATCH: Guard = Guard {
        lookahead: ANY_CLASS,
        min_rest: 0,
        max_rest: 0,
    };

    /// The guard of `shape` followed by what `then` guards.
    fn before(shape: Shape, then: Guard) -> Guard {
        let through_empty = match shape.nullable {
            Nullable::Never => 0,
            // After `$` only the end of the input can follow.
            Nullable::AtEnd => then.lookahead & END_OF_INPUT,
            Nullable::Anywhere => then.lookahead,
        };
        Guard {
            lookahead: shape.first | through_empty,
            min_rest: shape.min_len.saturating_add(then.min_rest),
            max_rest: shape.max_len.saturating_add(then.max_rest),
        }
    }

    /// `max_rest` is only an upper bound when the match must reach the end of the input.
    #[inline]
    fn admits<const FULL: bool>(self, class: u16, rest: u32) -> bool {
        self.lookahead & class != 0 && rest >= self.min_rest && (!FULL || rest <= self.max_rest)
    }
}

#[derive(Debug, Clone, Copy)]
enum Frame {
    /// Resume at `pc` at `pos`.
    Resume { pc: u32, pos: u32 },
    /// Try `branches[branch]` at `pos` (its guard admitted it), then the later ones up to `end`.
    Branch { branch: u32, end: u32, pos: u32 },
    /// Retry the run at `pc` that started at `start`, with a length in `shortest..=longest`.
    Run {
        pc: u32,
        start: u32,
        shortest: u32,
        longest: u32,
    },
    /// Put `value` back into register `slot`.
    Restore { slot: u32, value: u32 },
}

/// The backtracking stack: a fixed array on the machine stack, spilling to the heap only if a
/// match needs more pending choice points than it holds.
struct BacktrackStack {
    inline: [Frame; INLINE_FRAMES],
    inline_len: usize,
    spilled: Vec<Frame>,
}

impl BacktrackStack {
    fn new() -> BacktrackStack {
        BacktrackStack {
            inline: [Frame::Resume { pc: 0, pos: 0 }; INLINE_FRAMES],
            inline_len: 0,
            spilled: Vec::new(),
        }
    }

    #[inline]
    fn push(&mut self, frame: Frame) {
        match self.inline.get_mut(self.inline_len) {
            Some(free) => {
                *free = frame;
                self.inline_len += 1;
            }
            None => self.spilled.push(frame),
        }
    }

    #[inline]
    fn pop(&mut self) -> Option<Frame> {
        // Frames spill only once the array is full, so the spilled ones are the newest.
        if let Some(frame) = self.spilled.pop() {
            return Some(frame);
        }
        self.inline_len = self.inline_len.checked_sub(1)?;
        self.inline.get(self.inline_len).copied()
    }
}

// ---------------------------------------------------------------------------------------------
// The syntax tree.

/// Whether a node can match without consuming anything. Ordered so that a sequence is as
/// nullable as its least nullable part and an alternation as its most nullable branch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Nullable {
    Never,
    /// Only at the end of the input (it contains a `$` and can otherwise be empty).
    AtEnd,
    Anywhere,
}

/// What a node can match, at a glance: the digits it can start with, whether it can be empty,
/// and its length bounds (`max_len` [`UNBOUNDED`] if none).
#[derive(Debug, Clone, Copy)]
struct Shape {
    first: u16,
    nullable: Nullable,
    min_len: u32,
    max_len: u32,
}

impl Shape {
    const EMPTY: Shape = Shape {
        first: 0,
        nullable: Nullable::Anywhere,
        min_len: 0,
        max_len: 0,
    };

    fn then(self, next: Shape) -> Shape {
        Shape {
            first: if self.nullable == Nullable::Anywhere {
                self.first | next.first
            } else {
                // After `$` nothing more can be consumed.
                self.first
            },
            nullable: self.nullable.min(next.nullable),
            min_len: self.min_len.saturating_add(next.min_len),
            max_len: self.max_len.saturating_add(next.max_len),
        }
    }

    fn or(self, other: Shape) -> Shape {
        Shape {
            first: self.first | other.first,
            nullable: self.nullable.max(other.nullable),
            min_len: self.min_len.min(other.min_len),
            max_len: self.max_len.max(other.max_len),
        }
    }

    fn repeat(self, min: u32, max: Option<u32>) -> Shape {
        if max == Some(0) {
            return Shape::EMPTY;
        }
        Shape {
            first: self.first,
            nullable: if min == 0 {
                Nullable::Anywhere
            } else {
                self.nullable
            },
            min_len: self.min_len.saturating_mul(min),
            max_len: match max {
                Some(max) => self.max_len.saturating_mul(max),
                None if self.max_len == 0 => 0,
                None => UNBOUNDED,
            },
        }
    }
}

#[derive(Debug)]
struct Node {
    kind: NodeKind,
    shape: Shape,
}

#[derive(Debug)]
enum NodeKind {
    Empty,
    /// One digit from the mask: a literal, `\d` or a class.
    Digits(u16),
    /// `$`.
    End,
    Concat(Vec<Node>),
    Alternation(Vec<Node>),
    /// Capturing group number `group` (from 1).
    Capture {
        group: u8,
        body: Box<Node>,
    },
    Repeat {
        body: Box<Node>,
        min: u32,
        max: Option<u32>,
        /// Where the quantifier is in the pattern, to report a pattern that expands too much.
        offset: usize,
    },
}

impl Node {
    fn empty() -> Node {
        Node {
            kind: NodeKind::Empty,
            shape: Shape::EMPTY,
        }
    }

    fn digits(mask: u16) -> Node {
        Node {
            kind: NodeKind::Digits(mask),
            shape: Shape {
                first: mask,
                nullable: Nullable::Never,
                min_len: 1,
                max_len: 1,
            },
        }
    }

    fn end_of_input() -> Node {
        Node {
            kind: NodeKind::End,
            shape: Shape {
                first: 0,
                nullable: Nullable::AtEnd,
                min_len: 0,
                max_len: 0,
            },
        }
    }

    fn concat(mut items: Vec<Node>) -> Node {
        if items.len() <= 1 {
            return items.pop().unwrap_or_else(Node::empty);
        }
        let shape = items
            .iter()
            .map(|item| item.shape)
            .reduce(Shape::then)
            .unwrap_or(Shape::EMPTY);
        Node {
            kind: NodeKind::Concat(items),
            shape,
        }
    }

    fn alternation(mut branches: Vec<Node>) -> Node {
        if branches.len() <= 1 {
            return branches.pop().unwrap_or_else(Node::empty);
        }
        let shape = branches
            .iter()
            .map(|branch| branch.shape)
            .reduce(Shape::or)
            .unwrap_or(Shape::EMPTY);
        Node {
            kind: NodeKind::Alternation(branches),
            shape,
        }
    }

    fn capture(group: u8, body: Node) -> Node {
        Node {
            shape: body.shape,
            kind: NodeKind::Capture {
                group,
                body: Box::new(body),
            },
        }
    }

    fn repeat(body: Node, min: u32, max: Option<u32>, offset: usize) -> Node {
        Node {
            shape: body.shape.repeat(min, max),
            kind: NodeKind::Repeat {
                body: Box::new(body),
                min,
                max,
                offset,
            },
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The parser: recursive descent, recursing once per group level (at most MAX_NESTING).

struct Parser<'a> {
    source: &'a [u8],
    pos: usize,
    groups: u8,
    depth: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.source.get(self.pos).copied()
    }

    fn peek_at(&self, ahead: usize) -> Option<u8> {
        self.source.get(self.pos + ahead).copied()
    }

    fn error<T>(&self, kind: PatternErrorKind, offset: usize) -> Result<T, PatternError> {
        Err(PatternError::new(kind, offset))
    }

    /// Alternatives up to the end of the pattern or a `)`.
    fn parse_alternation(&mut self) -> Result<Node, PatternError> {
        let mut branches = vec![self.parse_sequence()?];
        while self.peek() == Some(b'|') {
            self.pos += 1;
            branches.push(self.parse_sequence()?);
        }
        Ok(Node::alternation(branches))
    }

    /// Terms up to the end of the pattern, a `|` or a `)`.
    fn parse_sequence(&mut self) -> Result<Node, PatternError> {
        let mut items = Vec::new();
        loop {
            let start = self.pos;
            let atom = match self.peek() {
                None | Some(b'|' | b')') => break,
                Some(b'$') => {
                    self.pos += 1;
                    if let Some(b'?' | b'*' | b'+' | b'{') = self.peek() {
                        return self.error(PatternErrorKind::NothingToRepeat, self.pos);
                    }
                    items.push(Node::end_of_input());
                    continue;
                }
                Some(digit @ b'0'..=b'9') => {
                    self.pos += 1;
                    Node::digits(1 << (digit - b'0'))
                }
                Some(b'\\') => {
                    if self.peek_at(1) != Some(b'd') {
                        return self.error(PatternErrorKind::UnsupportedEscape, start);
                    }
                    self.pos += 2;
                    Node::digits(ALL_DIGITS)
                }
                Some(b'[') => self.parse_class()?,
                Some(b'(') => self.parse_group()?,
                Some(b'?' | b'*' | b'+' | b'{') => {
                    return self.error(PatternErrorKind::NothingToRepeat, start);
                }
                Some(_) => return self.error(PatternErrorKind::UnexpectedCharacter, start),
            };
            items.push(self.parse_quantifier(atom)?);
        }
        Ok(Node::concat(items))
    }

    fn parse_class(&mut self) -> Result<Node, PatternError> {
        let open = self.pos;
        self.pos += 1;
        if self.peek() == Some(b'^') {
            return self.error(PatternErrorKind::NegatedClass, open);
        }
        let mut mask = 0u16;
        loop {
            let start = self.pos;
            match self.peek() {
                None => return self.error(PatternErrorKind::UnclosedClass, open),
                Some(b']') if start == open + 1 => {
                    return self.error(PatternErrorKind::EmptyClass, open);
                }
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Node::digits(mask));
                }
                Some(low @ b'0'..=b'9') => {
                    self.pos += 1;
                    if self.peek() != Some(b'-') {
                        mask |= 1 << (low - b'0');
                        continue;
                    }
                    let Some(high @ b'0'..=b'9') = self.peek_at(1) else {
                        return self.error(PatternErrorKind::MalformedClass, self.pos);
                    };
                    if high < low {
                        return self.error(PatternErrorKind::ReversedClassRange, start);
                    }
                    self.pos += 2;
                    // Bits low..=high.
                    mask |= (ALL_DIGITS >> (9 - (high - b'0'))) & (ALL_DIGITS << (low - b'0'));
                }
                Some(b'\\') if self.peek_at(1) == Some(b'd') => {
                    self.pos += 2;
                    mask |= ALL_DIGITS;
                }
                Some(b'\\') => return self.error(PatternErrorKind::UnsupportedEscape, start),
                Some(_) => return self.error(PatternErrorKind::MalformedClass, start),
            }
        }
    }

    fn parse_group(&mut self) -> Result<Node, PatternError> {
        let open = self.pos;
        if self.depth >= MAX_NESTING {
            return self.error(PatternErrorKind::NestingTooDeep, open);
        }
        self.pos += 1;
        let group = if self.peek() == Some(b'?') {
            if self.peek_at(1) != Some(b':') {
                return self.error(PatternErrorKind::UnsupportedGroup, open);
            }
            self.pos += 2;
            None
        } else {
            if usize::from(self.groups) >= MAX_GROUPS {
                return self.error(PatternErrorKind::TooManyGroups, open);
            }
            self.groups += 1;
            Some(self.groups)
        };
        self.depth += 1;
        let body = self.parse_alternation()?;
        self.depth -= 1;
        if self.peek() != Some(b')') {
            return self.error(PatternErrorKind::UnclosedGroup, open);
        }
        self.pos += 1;
        Ok(match group {
            Some(group) => Node::capture(group, body),
            // A non-capturing group is only its contents, so that `(?:\d){3}` is a run too.
            None => body,
        })
    }

    fn parse_quantifier(&mut self, atom: Node) -> Result<Node, PatternError> {
        let offset = self.pos;
        let (min, max) = match self.peek() {
            Some(b'?') => (0, Some(1)),
            Some(b'*') => (0, None),
            Some(b'+') => (1, None),
            Some(b'{') => self.parse_counts()?,
            _ => return Ok(atom),
        };
        if offset == self.pos {
            self.pos += 1;
        }
        if let Some(b'?' | b'+' | b'*' | b'{') = self.peek() {
            return self.error(PatternErrorKind::UnsupportedQuantifier, self.pos);
        }
        Ok(Node::repeat(atom, min, max, offset))
    }

    /// `{n}`, `{n,}` or `{n,m}`, leaving `pos` after the `}`.
    fn parse_counts(&mut self) -> Result<(u32, Option<u32>), PatternError> {
        let open = self.pos;
        self.pos += 1;
        let min = self.parse_count(open)?.ok_or(PatternError::new(
            PatternErrorKind::MalformedRepetition,
            open,
        ))?;
        let max = match self.peek() {
            Some(b'}') => Some(min),
            Some(b',') => {
                self.pos += 1;
                self.parse_count(open)?
            }
            _ => return self.error(PatternErrorKind::MalformedRepetition, open),
        };
        if self.peek() != Some(b'}') {
            return self.error(PatternErrorKind::MalformedRepetition, open);
        }
        self.pos += 1;
        if max.is_some_and(|max| max < min) {
            return self.error(PatternErrorKind::ReversedRepetition, open);
        }
        Ok((min, max))
    }

    /// A decimal count, `None` if there are no digits here.
    fn parse_count(&mut self, open: usize) -> Result<Option<u32>, PatternError> {
        let start = self.pos;
        let mut value = 0u32;
        while let Some(digit @ b'0'..=b'9') = self.peek() {
            value = value * 10 + u32::from(digit - b'0');
            if value > MAX_REPEAT {
                return self.error(PatternErrorKind::RepetitionTooLarge, open);
            }
            self.pos += 1;
        }
        Ok((self.pos > start).then_some(value))
    }
}

// ---------------------------------------------------------------------------------------------
// The compiler. It recurses along the tree, as deep as the parser did.

struct Compiler {
    program: Vec<Inst>,
    branches: Vec<Branch>,
    /// How many unbounded loops with a nullable body enclose the code being compiled: each
    /// level has its own register for where its current iteration started.
    nullable_loop_depth: usize,
    /// The innermost repetition being compiled, to say where a pattern expands too much.
    repeat_offset: usize,
    /// Nodes compiled so far, against [`MAX_COMPILE_STEPS`].
    steps: usize,
}

impl Compiler {
    fn emit(&mut self, inst: Inst) -> Result<u32, PatternError> {
        if self.program.len() >= MAX_INSTRUCTIONS {
            return Err(PatternError::new(
                PatternErrorKind::PatternTooLarge,
                self.repeat_offset,
            ));
        }
        self.program.push(inst);
        Ok(self.here() - 1)
    }

    /// The next instruction's index; below MAX_INSTRUCTIONS, so it fits.
    fn here(&self) -> u32 {
        self.program.len() as u32
    }

    /// Points the jump (or the skip of an optional part) at `at` to `target`.
    fn patch(&mut self, at: u32, target: u32) {
        match self.program.get_mut(at as usize) {
            Some(Inst::Jump(to) | Inst::Optional { skip_to: to, .. }) => *to = target,
            Some(Inst::EndIteration { exit, .. }) => *exit = target,
            _ => {}
        }
    }

    /// Compiles `node`, which `follow` follows.
    fn compile(&mut self, node: &Node, follow: Guard) -> Result<(), PatternError> {
        self.steps += 1;
        if self.steps > MAX_COMPILE_STEPS {
            return Err(PatternError::new(
                PatternErrorKind::PatternTooLarge,
                self.repeat_offset,
            ));
        }
        match &node.kind {
            NodeKind::Empty => {}
            NodeKind::Digits(mask) => {
                self.emit(Inst::Byte(*mask))?;
            }
            NodeKind::End => {
                self.emit(Inst::End)?;
            }
            NodeKind::Concat(items) => {
                // What follows each item: the items after it, then `follow`.
                let mut follows = vec![follow; items.len()];
                for index in (1..items.len()).rev() {
                    follows[index - 1] = Guard::before(items[index].shape, follows[index]);
                }
                for (item, item_follow) in items.iter().zip(follows) {
                    self.compile(item, item_follow)?;
                }
            }
            NodeKind::Alternation(alternatives) => {
                let first = self.branches.len() as u32;
                self.branches
                    .extend(alternatives.iter().map(|alternative| Branch {
                        guard: Guard::before(alternative.shape, follow),
                        target: PLACEHOLDER,
                    }));
                let end = self.branches.len() as u32;
                self.emit(Inst::Alternation { first, end })?;
                let mut exits = Vec::with_capacity(alternatives.len());
                for (index, alternative) in alternatives.iter().enumerate() {
                    let target = self.here();
                    if let Some(branch) = self.branches.get_mut(first as usize + index) {
                        branch.target = target;
                    }
                    self.compile(alternative, follow)?;
                    if index + 1 < alternatives.len() {
                        exits.push(self.emit(Inst::Jump(PLACEHOLDER))?);
                    }
                }
                let exit = self.here();
                for at in exits {
                    self.patch(at, exit);
                }
            }
            NodeKind::Capture { group, body } => {
                let start_slot = 2 * (u32::from(*group) - 1);
                self.emit(Inst::Save(start_slot))?;
                self.compile(body, follow)?;
                self.emit(Inst::Save(start_slot + 1))?;
            }
            NodeKind::Repeat {
                body,
                min,
                max,
                offset,
            } => {
                let outer_offset = std::mem::replace(&mut self.repeat_offset, *offset);
                self.compile_repeat(body, *min, *max, follow)?;
                self.repeat_offset = outer_offset;
            }
        }
        Ok(())
    }

    fn compile_repeat(
        &mut self,
        body: &Node,
        min: u32,
        max: Option<u32>,
        follow: Guard,
    ) -> Result<(), PatternError> {
        if let NodeKind::Digits(mask) = body.kind {
            self.emit(Inst::Run {
                mask,
                min,
                max: max.unwrap_or(UNBOUNDED),
                follow,
            })?;
            return Ok(());
        }
        // Anything else is expanded: `min` copies, then `max - min` nested optional copies
        // (`(?:B(?:B)?)?`) or a loop. The copies share the group registers, so a group reports
        // its last iteration.
        let after_mandatory = Guard::before(body.shape.repeat(0, max.map(|max| max - min)), follow);
        let mut follows = vec![after_mandatory; min as usize];
        for index in (1..follows.len()).rev() {
            follows[index - 1] = Guard::before(body.shape, follows[index]);
        }
        for copy_follow in follows {
            self.compile(body, copy_follow)?;
        }
        match max {
            Some(max) => {
                let optional_copies = max - min;
                let mut skips = Vec::new();
                for copy in 0..optional_copies {
                    let rest = body.shape.repeat(0, Some(optional_copies - copy - 1));
                    let after_copy = Guard::before(rest, follow);
                    skips.push(self.emit(Inst::Optional {
                        body: Guard::before(body.shape, after_copy),
                        skip_to: PLACEHOLDER,
                        skip: follow,
                    })?);
                    self.compile(body, after_copy)?;
                }
                let exit = self.here();
                for at in skips {
                    self.patch(at, exit);
                }
            }
            None => {
                // top: Optional(skip to exit); [MarkIteration]; body; [EndIteration]; Jump top
                let top = self.emit(Inst::Optional {
                    body: Guard::before(body.shape, after_mandatory),
                    skip_to: PLACEHOLDER,
                    skip: follow,
                })?;
                let progress_slot = if body.shape.nullable == Nullable::Never {
                    None
                } else {
                    // Nested loops need their own registers; nesting needs groups, which the
                    // parser limits to MAX_NESTING levels.
                    let slot = 2 * MAX_GROUPS + self.nullable_loop_depth;
                    if slot >= SLOT_COUNT {
                        return Err(PatternError::new(
                            PatternErrorKind::NestingTooDeep,
                            self.repeat_offset,
                        ));
                    }
                    self.emit(Inst::MarkIteration(slot as u32))?;
                    self.nullable_loop_depth += 1;
                    Some(slot as u32)
                };
                self.compile(body, after_mandatory)?;
                let end_iteration = match progress_slot {
                    Some(slot) => {
                        self.nullable_loop_depth -= 1;
                        Some(self.emit(Inst::EndIteration {
                            slot,
                            exit: PLACEHOLDER,
                        })?)
                    }
                    None => None,
                };
                self.emit(Inst::Jump(top))?;
                let exit = self.here();
                self.patch(top, exit);
                if let Some(at) = end_iteration {
                    self.patch(at, exit);
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_rng::SplitMix64;

    fn pattern(source: &str) -> Pattern {
        Pattern::new(source).unwrap_or_else(|error| panic!("{source}: {error}"))
    }

    /// Asserts which inputs `source` matches whole, and that `matches_prefix` agrees with
    /// `looking_at` on each.
    fn assert_matches(source: &str, accepted: &[&str], rejected: &[&str]) {
        let compiled = pattern(source);
        for input in accepted {
            assert!(
                compiled.matches(input.as_bytes()),
                "{source} should match {input:?}"
            );
        }
        for input in rejected {
            assert!(
                !compiled.matches(input.as_bytes()),
                "{source} should not match {input:?}"
            );
        }
        for input in accepted.iter().chain(rejected) {
            assert_eq!(
                compiled.matches_prefix(input.as_bytes()),
                compiled.looking_at(input.as_bytes()).is_some(),
                "{source} on {input:?}"
            );
        }
    }

    /// Where a prefix match ends, and the spans of groups 1 onwards.
    type Match = (usize, Vec<Option<(usize, usize)>>);

    /// `looking_at` as a [`Match`] (None: no match).
    fn looking_at(source: &str, input: &str) -> Option<Match> {
        let captures = pattern(source).looking_at(input.as_bytes())?;
        let groups = (1..=captures.group_count())
            .map(|index| captures.group(index))
            .collect();
        Some((captures.end(), groups))
    }

    fn error(source: &str) -> (PatternErrorKind, usize) {
        match Pattern::new(source) {
            Ok(compiled) => panic!("{source} compiled: {compiled:?}"),
            Err(error) => (error.kind(), error.offset()),
        }
    }

    #[test]
    fn digits_and_classes() {
        assert_matches("123", &["123"], &["", "12", "1234", "124", "x23"]);
        assert_matches(r"\d\d", &["00", "09", "99"], &["0", "000", "0a", "a0"]);
        assert_matches(
            "[2-46-9]",
            &["2", "3", "4", "6", "7", "8", "9"],
            &["0", "1", "5", "", "22"],
        );
        assert_matches("[0-24-8]", &["0", "1", "2", "4", "8"], &["3", "9"]);
        assert_matches("[5]", &["5"], &["4", "6"]);
        assert_matches(r"[\d]", &["0", "5", "9"], &["", "55"]);
        assert_matches(r"[1\d]0", &["10", "90"], &["1"]);
        assert_matches("[0-9]", &["0", "9"], &["/", ":"]);
        // Bytes that are not ASCII digits never match (and do not panic).
        assert_matches(r"\d|[0-9]|0", &["0"], &["a", "\u{0660}", "/", ":", " "]);
        assert!(!pattern(r"\d*").matches(b"12\xff"));
        assert_eq!(looking_at(r"\d*", "12\u{00e9}3"), Some((2, vec![])));
    }

    #[test]
    fn alternation_backtracks_for_whole_matches_and_prefers_the_left_for_prefixes() {
        assert_matches("1|12", &["1", "12"], &["2", "121", ""]);
        assert_eq!(looking_at("1|12", "12"), Some((1, vec![])));
        assert_eq!(looking_at("12|1", "12"), Some((2, vec![])));
        assert_matches("(?:1|12)3", &["13", "123"], &["12", "1233"]);
        assert_matches(
            r"001[14-689]|14(?:1[14]|34|4[17]|[56]6|7[47]|88)0011",
            &["0011", "0014", "0019", "14110011", "14880011"],
            &["0017", "001", "14120011", "1488001", "148800111"],
        );
        // Hundreds of alternatives, like the biggest metadata patterns.
        let many = (100..400)
            .map(|n| n.to_string())
            .collect::<Vec<_>>()
            .join("|");
        assert_matches(
            &format!("(?:{many})5"),
            &["1005", "3995", "2505"],
            &["4005", "0995", "100"],
        );
    }

    #[test]
    fn empty_alternatives() {
        assert_matches("(?:|1)2", &["2", "12"], &["1", "112"]);
        assert_matches("(?:1|)2", &["2", "12"], &["1"]);
        assert_matches("1|", &["", "1"], &["2"]);
        assert_matches("", &[""], &["1"]);
        assert_matches(
            r"00(?:30|5[09]|[126-9]?)",
            &["00", "0030", "0050", "0059", "001", "002", "006", "009"],
            &["0", "003", "004", "005", "0058", "0031", "0010"],
        );
        assert_eq!(looking_at("(?:|1)2", "12"), Some((2, vec![])));
        assert_eq!(looking_at("(|1)", "1"), Some((0, vec![Some((0, 0))])));
    }

    #[test]
    fn quantifier_bounds() {
        let inputs = ["", "1", "11", "111", "1111", "11111"];
        let cases: [(&str, &[usize]); 9] = [
            ("1?", &[0, 1]),
            ("1*", &[0, 1, 2, 3, 4, 5]),
            ("1+", &[1, 2, 3, 4, 5]),
            ("1{3}", &[3]),
            ("1{2,}", &[2, 3, 4, 5]),
            ("1{2,4}", &[2, 3, 4]),
            ("1{0}", &[0]),
            ("(?:11){1,2}", &[2, 4]),
            ("(?:1|11){2}", &[2, 3, 4]),
        ];
        for (source, lengths) in cases {
            let compiled = pattern(source);
            for input in inputs {
                assert_eq!(
                    compiled.matches(input.as_bytes()),
                    lengths.contains(&input.len()),
                    "{source} on {input:?}"
                );
            }
        }
        // Greedy: the longest count first, shorter ones when what follows needs them.
        assert_eq!(looking_at(r"\d{2,4}", "123456"), Some((4, vec![])));
        assert_eq!(
            looking_at(r"(\d{2,4})5", "123456"),
            Some((5, vec![Some((0, 4))]))
        );
        assert_eq!(
            looking_at(r"(\d{2,4})3", "123456"),
            Some((3, vec![Some((0, 2))]))
        );
        assert_eq!(
            looking_at(r"(\d*)(\d+)", "1234"),
            Some((4, vec![Some((0, 3)), Some((3, 4))]))
        );
        assert_eq!(
            looking_at(r"(\d?)(\d?)", "1"),
            Some((1, vec![Some((0, 1)), Some((1, 1))]))
        );
        assert_eq!(looking_at("(?:12)+", "121213"), Some((4, vec![])));
        assert_eq!(looking_at("(?:12){2,}", "12"), None);
    }

    #[test]
    fn dollar_matches_only_at_the_end() {
        let source = r"([2-9]\d{6})$|1";
        assert_eq!(looking_at(source, "2345678"), Some((7, vec![Some((0, 7))])));
        // Seven digits followed by more: the first alternative fails at `$`, the second at 2.
        assert_eq!(looking_at(source, "23456789"), None);
        assert_eq!(looking_at(source, "1234"), Some((1, vec![None])));
        assert_matches(source, &["1", "2345678"], &["12", "234567", "23456789"]);
        assert_matches("1$2", &[], &["1", "12", "2"]);
        assert_matches("(?:1$|12)", &["1", "12"], &["123"]);
        assert_eq!(looking_at("(?:1$|12)", "123"), Some((2, vec![])));

        let source = r"(000[2569]\d{4,6})$|(?:(?:003768)0?)|0";
        assert_eq!(
            looking_at(source, "00021234"),
            Some((8, vec![Some((0, 8))]))
        );
        assert_eq!(
            looking_at(source, "0002123456"),
            Some((10, vec![Some((0, 10))]))
        );
        // Too long for the first alternative's `$`: falls back to `0`.
        assert_eq!(looking_at(source, "00021234567"), Some((1, vec![None])));
        assert_eq!(looking_at(source, "0037680123"), Some((7, vec![None])));
        assert_eq!(looking_at(source, "00376812"), Some((6, vec![None])));
        assert_eq!(looking_at(source, "1"), None);
    }

    #[test]
    fn metadata_examples() {
        assert_matches(
            r"(?:[2-9]\d{2}|1[2-9])\d{6,7}",
            &["2125551234", "212555123", "12555123", "125551234"],
            &[
                "1255512345",
                "0125551234",
                "21255512345",
                "1155512",
                "2125551",
            ],
        );

        // Argentina's national prefix for parsing, with a nested capturing group.
        let argentina =
            r"0?(?:(11|2(?:2(?:02?|[13]|2[13-79])|3(?:02?|1[467]))|3(?:3(?:2[79]|6|8[2578])))15)?";
        assert_eq!(
            looking_at(argentina, "01115"),
            Some((5, vec![Some((1, 3))]))
        );
        assert_eq!(
            looking_at(argentina, "2202151"),
            Some((6, vec![Some((0, 4))]))
        );
        assert_eq!(
            looking_at(argentina, "22015"),
            Some((5, vec![Some((0, 3))]))
        );
        assert_eq!(
            looking_at(argentina, "3361512"),
            Some((5, vec![Some((0, 3))]))
        );
        assert_eq!(looking_at(argentina, "0123"), Some((1, vec![None])));
        assert_eq!(looking_at(argentina, "5"), Some((0, vec![None])));
        assert_matches(
            argentina,
            &["", "0", "1115", "022315", "0338215"],
            &["01", "11", "03381"],
        );

        let kazakhstan_like = r"(?:0|90)(?:(1[245]|2[1-35]|31|4[13]|[56]5|99)(\d{10,11}))?";
        assert_eq!(
            looking_at(kazakhstan_like, "0121234567890"),
            Some((13, vec![Some((1, 3)), Some((3, 13))]))
        );
        assert_eq!(
            looking_at(kazakhstan_like, "90991234567890123"),
            Some((15, vec![Some((2, 4)), Some((4, 15))]))
        );
        // Too few digits for the optional part: it does not take part.
        assert_eq!(
            looking_at(kazakhstan_like, "012123"),
            Some((1, vec![None, None]))
        );
        assert_eq!(looking_at(kazakhstan_like, "9"), None);
    }

    #[test]
    fn capture_spans() {
        // A group that does not take part.
        assert_eq!(looking_at("(1)?2", "2"), Some((1, vec![None])));
        assert_eq!(
            looking_at("(1)|(2)", "2"),
            Some((1, vec![None, Some((0, 1))]))
        );
        // A group in a repetition reports its last iteration...
        assert_eq!(
            looking_at(r"(?:(\d)5)+", "1525"),
            Some((4, vec![Some((2, 3))]))
        );
        assert_eq!(looking_at(r"(\d){3}", "123"), Some((3, vec![Some((2, 3))])));
        // ...and keeps it when a later iteration takes another branch, as in Java and Python.
        assert_eq!(
            looking_at("(?:(1)|2)+", "12"),
            Some((2, vec![Some((0, 1))]))
        );
        // Spans of a path abandoned by backtracking are undone.
        assert_eq!(looking_at("(?:(1)2|13)", "13"), Some((2, vec![None])));
        assert_eq!(looking_at("(1(2))?13", "13"), Some((2, vec![None, None])));
        assert_eq!(
            looking_at("((1)|1)3", "13"),
            Some((2, vec![Some((0, 1)), Some((0, 1))]))
        );
        // Group 0 is the whole match; numbers past the last group are None.
        let captures = pattern("(1)2").looking_at(b"123");
        assert_eq!(captures.map(|c| c.group(0)), Some(Some((0, 2))));
        assert_eq!(captures.map(|c| c.group(2)), Some(None));
        assert_eq!(captures.map(|c| c.group_count()), Some(1));
    }

    #[test]
    fn empty_iterations_stop_a_loop() {
        // An iteration that matched empty ends the loop with its spans, as in Java and Python
        // (regex-lite reports (1, 2) for the second case: it drops a later empty iteration).
        assert_eq!(looking_at("(1?)*", ""), Some((0, vec![Some((0, 0))])));
        assert_eq!(looking_at("(1?)*", "11"), Some((2, vec![Some((2, 2))])));
        assert_eq!(looking_at("(?:|1)*", "1"), Some((0, vec![])));
        assert_eq!(looking_at("(?:1|)*", "11"), Some((2, vec![])));
        assert_matches("(?:1?)*2", &["2", "12", "112"], &["1", "21"]);
        assert_matches("(?:(?:1?)*|2)+3", &["3", "13", "1123", "2113"], &["1"]);
        assert_matches("(?:$|1)+", &["", "1", "11"], &["2"]);
    }

    #[test]
    fn long_inputs_spill_the_stack_without_recursion() {
        let ones = "1".repeat(10_000);
        // Each iteration of the group leaves a choice point: far more than the inline frames.
        let compiled = pattern("(?:1|2)*");
        assert!(compiled.matches(ones.as_bytes()));
        assert_eq!(
            compiled.looking_at(ones.as_bytes()).map(|c| c.end()),
            Some(10_000)
        );
        assert!(!compiled.matches(format!("{ones}3").as_bytes()));
        assert!(pattern(r"(\d)*(\d{3})").matches(ones.as_bytes()));
    }

    #[test]
    fn syntax_errors_say_what_and_where() {
        use PatternErrorKind::*;
        assert_eq!(error("(1"), (UnclosedGroup, 0));
        assert_eq!(error("1(?:2|(3)"), (UnclosedGroup, 1));
        assert_eq!(error("1)"), (UnmatchedCloseParen, 1));
        assert_eq!(error("(1))"), (UnmatchedCloseParen, 3));
        assert_eq!(error(")"), (UnmatchedCloseParen, 0));
        assert_eq!(error("[^0]"), (NegatedClass, 0));
        assert_eq!(error("a"), (UnexpectedCharacter, 0));
        assert_eq!(error("12."), (UnexpectedCharacter, 2));
        assert_eq!(error("^1"), (UnexpectedCharacter, 0));
        assert_eq!(error("1\u{00e9}"), (UnexpectedCharacter, 1));
        assert_eq!(error(r"\d{3,2}"), (ReversedRepetition, 2));
        assert_eq!(error(r"\d{3"), (MalformedRepetition, 2));
        assert_eq!(error(r"\d{,3}"), (MalformedRepetition, 2));
        assert_eq!(error(r"\d{a}"), (MalformedRepetition, 2));
        assert_eq!(error(r"\d{1001}"), (RepetitionTooLarge, 2));
        assert_eq!(error(r"\d{99999999999}"), (RepetitionTooLarge, 2));
        assert_eq!(error(r"\w"), (UnsupportedEscape, 0));
        assert_eq!(error(r"1\"), (UnsupportedEscape, 1));
        assert_eq!(error("[12"), (UnclosedClass, 0));
        assert_eq!(error("[]"), (EmptyClass, 0));
        assert_eq!(error("[5-2]"), (ReversedClassRange, 1));
        assert_eq!(error("[1-]"), (MalformedClass, 2));
        assert_eq!(error("[a]"), (MalformedClass, 1));
        assert_eq!(error(r"[\w]"), (UnsupportedEscape, 1));
        assert_eq!(error("*1"), (NothingToRepeat, 0));
        assert_eq!(error("1|+"), (NothingToRepeat, 2));
        assert_eq!(error("(?)"), (UnsupportedGroup, 0));
        assert_eq!(error("(?:?)"), (NothingToRepeat, 3));
        assert_eq!(error("1$?"), (NothingToRepeat, 2));
        assert_eq!(error("1??"), (UnsupportedQuantifier, 2));
        assert_eq!(error("1*+"), (UnsupportedQuantifier, 2));
        assert_eq!(error("1{2}{3}"), (UnsupportedQuantifier, 4));
        assert_eq!(error("(?=1)"), (UnsupportedGroup, 0));
        assert_eq!(error("(?<a>1)"), (UnsupportedGroup, 0));
        assert_eq!(error(&"(1)".repeat(10)), (TooManyGroups, 27));
        assert!(Pattern::new(&"(1)".repeat(9)).is_ok());
        let deep = |levels: usize| format!("{}1{}", "(?:".repeat(levels), ")".repeat(levels));
        assert!(Pattern::new(&deep(32)).is_ok());
        assert_eq!(error(&deep(33)), (NestingTooDeep, 96));
        assert_eq!(error("(?:(?:12){999}){999}"), (PatternTooLarge, 9));
        assert_eq!(
            error("(?:(?:(?:(?:){1000}){1000}){1000}){1000}"),
            (PatternTooLarge, 13)
        );
        assert_eq!(error(&"|".repeat(MAX_SOURCE_LEN + 1)), (PatternTooLarge, 0));
        assert!(Pattern::new(&"(?:)".repeat(MAX_SOURCE_LEN / 4)).is_ok());

        let message = Pattern::new("12)").err().map(|error| error.to_string());
        assert_eq!(
            message.as_deref(),
            Some("')' without a matching '(' at byte 2 of the pattern")
        );
    }

    #[test]
    fn debug_shows_the_source_and_patterns_are_shareable() {
        fn shareable<T: Send + Sync>() {}
        shareable::<Pattern>();
        assert_eq!(format!("{:?}", pattern(r"1|\d")), r#"Pattern("1|\\d")"#);
    }

    /// A random pattern, kept as a tree to print it and to sample inputs it likely matches.
    enum Piece {
        End,
        Repeated {
            atom: Atom,
            min: u32,
            /// None: unbounded.
            max: Option<u32>,
            quantifier: String,
        },
    }

    enum Atom {
        Digits {
            text: String,
            digits: Vec<u8>,
        },
        Group {
            capturing: bool,
            alternatives: Vec<Vec<Piece>>,
        },
    }

    struct PatternGenerator {
        rng: SplitMix64,
        groups: usize,
    }

    /// What a generated piece repeats, to keep backtracking on failing inputs polynomial and
    /// small: a backtracker tries every way of splitting the input between nested repetitions
    /// (as Java's would), so repeated groups hold no repeated group and no unbounded run.
    #[derive(Clone, Copy, Default)]
    struct Repeats {
        anything: bool,
        group: bool,
        unbounded: bool,
    }

    /// Whether a generated sequence can match empty (`$` counts, as it consumes nothing).
    fn nullable(sequence: &[Piece]) -> bool {
        sequence.iter().all(|piece| match piece {
            Piece::End => true,
            Piece::Repeated { atom, min, .. } => {
                *min == 0
                    || match atom {
                        Atom::Digits { .. } => false,
                        Atom::Group { alternatives, .. } => {
                            alternatives.iter().any(|sequence| nullable(sequence))
                        }
                    }
            }
        })
    }

    impl std::ops::BitOrAssign for Repeats {
        fn bitor_assign(&mut self, other: Repeats) {
            self.anything |= other.anything;
            self.group |= other.group;
            self.unbounded |= other.unbounded;
        }
    }

    impl PatternGenerator {
        fn alternatives(&mut self, depth: u32) -> (Vec<Vec<Piece>>, Repeats) {
            let count = match self.rng.below(10) {
                0..=4 => 1,
                5..=7 => 2,
                _ => 3 + self.rng.below(2),
            };
            let mut repeats = Repeats::default();
            let alternatives = (0..count)
                .map(|_| {
                    let (sequence, sequence_repeats) = self.sequence(depth);
                    repeats |= sequence_repeats;
                    sequence
                })
                .collect();
            (alternatives, repeats)
        }

        fn sequence(&mut self, depth: u32) -> (Vec<Piece>, Repeats) {
            let mut repeats = Repeats::default();
            let mut pieces: Vec<Piece> = (0..self.rng.below(4))
                .map(|_| {
                    let (piece, piece_repeats) = self.piece(depth);
                    repeats |= piece_repeats;
                    piece
                })
                .collect();
            if self.rng.percent(12) {
                pieces.push(Piece::End);
            }
            (pieces, repeats)
        }

        fn piece(&mut self, depth: u32) -> (Piece, Repeats) {
            let choice = self.rng.below(100);
            if depth > 0 && choice < 35 {
                let capturing = self.groups < MAX_GROUPS && self.rng.percent(50);
                self.groups += usize::from(capturing);
                let (alternatives, mut repeats) = self.alternatives(depth - 1);
                // Unbounded loops only around groups that repeat nothing inside and cannot
                // match empty. After an iteration that matched empty, Java and Python (and
                // this matcher) leave the loop with that iteration's group spans; regex-lite
                // drops them unless it was the first iteration, a genuine difference.
                let loop_allowed =
                    !repeats.anything && !alternatives.iter().any(|sequence| nullable(sequence));
                let atom = Atom::Group {
                    capturing,
                    alternatives,
                };
                let (min, max, quantifier) = if repeats.group || repeats.unbounded {
                    self.at_most_once()
                } else {
                    self.quantifier(loop_allowed, 1, 2)
                };
                if max != Some(1) {
                    repeats.anything = true;
                    repeats.group |= max != Some(0);
                    repeats.unbounded |= max.is_none();
                }
                return (
                    Piece::Repeated {
                        atom,
                        min,
                        max,
                        quantifier,
                    },
                    repeats,
                );
            }
            let atom = if choice < 65 {
                let digit = b'0' + self.rng.below(10) as u8;
                Atom::Digits {
                    text: char::from(digit).to_string(),
                    digits: vec![digit],
                }
            } else if choice < 78 {
                Atom::Digits {
                    text: r"\d".to_string(),
                    digits: (b'0'..=b'9').collect(),
                }
            } else {
                self.class()
            };
            let (min, max, quantifier) = self.quantifier(true, 3, 3);
            let repeats = Repeats {
                anything: max != Some(1),
                group: false,
                unbounded: max.is_none(),
            };
            (
                Piece::Repeated {
                    atom,
                    min,
                    max,
                    quantifier,
                },
                repeats,
            )
        }

        fn class(&mut self) -> Atom {
            let mut text = "[".to_string();
            let mut digits = Vec::new();
            for _ in 0..1 + self.rng.below(3) {
                if self.rng.percent(5) {
                    text.push_str(r"\d");
                    digits.extend(b'0'..=b'9');
                    continue;
                }
                let low = b'0' + self.rng.below(10) as u8;
                text.push(char::from(low));
                if self.rng.percent(50) {
                    let high = low + self.rng.below(u32::from(b'9' - low) + 1) as u8;
                    text.push('-');
                    text.push(char::from(high));
                    digits.extend(low..=high);
                } else {
                    digits.push(low);
                }
            }
            text.push(']');
            Atom::Digits { text, digits }
        }

        /// (min, max, text) of a random quantifier, or none half the time.
        fn quantifier(
            &mut self,
            unbounded: bool,
            largest_min: u32,
            largest_extra: u32,
        ) -> (u32, Option<u32>, String) {
            if self.rng.percent(50) {
                return (1, Some(1), String::new());
            }
            let min = self.rng.below(largest_min + 1);
            match self.rng.below(6) {
                0 => (0, Some(1), "?".to_string()),
                1 if unbounded => (0, None, "*".to_string()),
                2 if unbounded => (1, None, "+".to_string()),
                3 if unbounded => (min, None, format!("{{{min},}}")),
                4 => (min, Some(min), format!("{{{min}}}")),
                _ => {
                    let max = min + self.rng.below(largest_extra + 1);
                    (min, Some(max), format!("{{{min},{max}}}"))
                }
            }
        }

        /// No quantifier, or one that repeats nothing: `?`, `{0,1}`, `{1}` or `{0}`.
        fn at_most_once(&mut self) -> (u32, Option<u32>, String) {
            match self.rng.below(8) {
                0..=3 => (1, Some(1), String::new()),
                4 | 5 => (0, Some(1), "?".to_string()),
                6 => (0, Some(1), "{0,1}".to_string()),
                _ if self.rng.percent(50) => (1, Some(1), "{1}".to_string()),
                _ => (0, Some(0), "{0}".to_string()),
            }
        }
    }

    fn print_alternatives(alternatives: &[Vec<Piece>], out: &mut String) {
        for (index, sequence) in alternatives.iter().enumerate() {
            if index > 0 {
                out.push('|');
            }
            for piece in sequence {
                match piece {
                    Piece::End => out.push('$'),
                    Piece::Repeated {
                        atom, quantifier, ..
                    } => {
                        match atom {
                            Atom::Digits { text, .. } => out.push_str(text),
                            Atom::Group {
                                capturing,
                                alternatives,
                            } => {
                                out.push_str(if *capturing { "(" } else { "(?:" });
                                print_alternatives(alternatives, out);
                                out.push(')');
                            }
                        }
                        out.push_str(quantifier);
                    }
                }
            }
        }
    }

    /// Appends a random string of the alternatives' language (ignoring `$`, so not always).
    fn sample(alternatives: &[Vec<Piece>], rng: &mut SplitMix64, out: &mut Vec<u8>) {
        let Some(sequence) = alternatives.get(rng.below(alternatives.len() as u32) as usize) else {
            return;
        };
        for piece in sequence {
            let Piece::Repeated { atom, min, max, .. } = piece else {
                continue;
            };
            let extra = rng.below(max.map_or(3, |max| max - min + 1));
            for _ in 0..min + extra {
                match atom {
                    Atom::Digits { digits, .. } => {
                        out.push(digits[rng.below(digits.len() as u32) as usize]);
                    }
                    Atom::Group { alternatives, .. } => sample(alternatives, rng, out),
                }
            }
        }
    }

    fn random_inputs(alternatives: &[Vec<Piece>], rng: &mut SplitMix64) -> Vec<Vec<u8>> {
        let mut inputs = Vec::new();
        for _ in 0..8 {
            let mut input = Vec::new();
            sample(alternatives, rng, &mut input);
            match rng.below(10) {
                0..=1 if !input.is_empty() => {
                    let at = rng.below(input.len() as u32) as usize;
                    input[at] = b'0' + rng.below(10) as u8;
                }
                2 => input.truncate(rng.below(input.len() as u32 + 1) as usize),
                3 => input.push(b'0' + rng.below(10) as u8),
                _ => {}
            }
            input.truncate(20);
            inputs.push(input);
        }
        for _ in 0..7 {
            let len = rng.below(21);
            inputs.push((0..len).map(|_| b'0' + rng.below(10) as u8).collect());
        }
        // A byte no pattern consumes, where a match may still end before it.
        let mut input: Vec<u8> = (0..rng.below(8))
            .map(|_| b'0' + rng.below(10) as u8)
            .collect();
        input.insert(rng.below(input.len() as u32 + 1) as usize, b'#');
        inputs.push(input);
        inputs
    }

    /// Random patterns and inputs against regex-lite. regex-lite is leftmost-first (the match a
    /// backtracker finds first), with Perl/Java capture semantics, so `^(?:P)` reports the same
    /// end and groups as `looking_at`, and `^(?:P)$` accepts what `matches` does.
    #[test]
    fn agrees_with_regex_lite_on_random_patterns() {
        let mut rng = SplitMix64(0x5eed_0f9a_77e2);
        let (mut pairs, mut whole_matches, mut prefix_matches, mut spans) = (0, 0, 0, 0);
        for _ in 0..3000 {
            let mut generator = PatternGenerator {
                rng: SplitMix64(rng.next()),
                groups: 0,
            };
            let (alternatives, _) = generator.alternatives(3);
            let mut source = String::new();
            print_alternatives(&alternatives, &mut source);
            let compiled = pattern(&source);
            let whole = regex_lite::Regex::new(&format!("^(?:{source})$"))
                .unwrap_or_else(|error| panic!("{source}: {error}"));
            let prefix = regex_lite::Regex::new(&format!("^(?:{source})"))
                .unwrap_or_else(|error| panic!("{source}: {error}"));
            for input in random_inputs(&alternatives, &mut rng) {
                let text = std::str::from_utf8(&input).unwrap_or_else(|error| panic!("{error}"));
                let expected_whole = whole.is_match(text);
                assert_eq!(
                    compiled.matches(&input),
                    expected_whole,
                    "matches {source} on {text:?}"
                );
                // regex-lite leaves groups inside `{0}` out of its count when they are the
                // last ones, so its groups are read by our numbering (it numbers the same).
                let expected: Option<Match> = prefix.captures(text).map(|captures| {
                    let end = captures.get(0).map_or(0, |all| all.end());
                    let groups = (1..=compiled.group_count as usize)
                        .map(|index| {
                            captures
                                .get(index)
                                .map(|group| (group.start(), group.end()))
                        })
                        .collect();
                    (end, groups)
                });
                let actual: Option<Match> = compiled.looking_at(&input).map(|captures| {
                    let groups = (1..=captures.group_count())
                        .map(|index| captures.group(index))
                        .collect();
                    (captures.end(), groups)
                });
                assert_eq!(actual, expected, "looking_at {source} on {text:?}");
                assert_eq!(
                    compiled.matches_prefix(&input),
                    expected.is_some(),
                    "matches_prefix {source} on {text:?}"
                );
                pairs += 1;
                whole_matches += usize::from(expected_whole);
                if let Some((_, groups)) = &expected {
                    prefix_matches += 1;
                    spans += groups.iter().flatten().count();
                }
            }
        }
        // The inputs must exercise both answers, and groups that take part.
        assert!(pairs >= 40_000, "{pairs} pairs");
        assert!(
            whole_matches > pairs / 5,
            "{whole_matches} whole matches of {pairs}"
        );
        assert!(
            prefix_matches > pairs / 3,
            "{prefix_matches} prefix matches of {pairs}"
        );
        assert!(
            pairs - prefix_matches > pairs / 10,
            "{prefix_matches} prefix matches of {pairs}"
        );
        assert!(spans > pairs / 5, "{spans} group spans in {pairs} pairs");
    }
}
