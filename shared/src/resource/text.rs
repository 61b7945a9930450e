//! The characters text fields may not hold.

/// Characters that are invisible or change how text around them reads: controls (line breaks
/// and tabs allowed in multi-line text), bidirectional controls, zero-width characters.
pub fn is_hidden(c: char, multiline: bool) -> bool {
    match c {
        // The zero-width joiner builds emoji sequences, which descriptions may hold.
        '\n' | '\r' | '\t' | '\u{200D}' => !multiline,
        '\u{200B}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{2069}'
        | '\u{061C}'
        | '\u{FEFF}'
        | '\u{00AD}' => true,
        c => c.is_control(),
    }
}
