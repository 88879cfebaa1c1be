//! Byte checks on strings that run eight bytes per step.
//!
//! In the CosmWasm VM every branch costs the price of 14 instructions, so a
//! check that looks at an address one `char` at a time costs more than the
//! rest of parsing the ID it is in. Addresses are plain ASCII: checking that
//! a word of eight bytes is all visible ASCII answers for all eight at once.

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// Whether any byte of `word` is below 0x21 (space, control) or above 0x7e
/// (DEL, non-ASCII). The two tests are the classic "has a byte less than /
/// more than n", exact as a yes/no.
fn outside_visible_ascii(word: u64) -> bool {
    let below = word.wrapping_sub(ONES * 0x21) & !word;
    // Adding 1 to each byte sets the high bit of those above 0x7e (adding
    // 0x7f - n in general, n = 0x7e).
    let above = word.wrapping_add(ONES) | word;
    (below | above) & HIGH != 0
}

fn word(bytes: &[u8], at: usize) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&bytes[at..at + 8]);
    u64::from_le_bytes(w)
}

/// Whether every byte of `s` is visible ASCII (0x21 to 0x7e): no spaces, no
/// control characters, nothing outside ASCII. An empty string is.
pub fn is_visible_ascii(s: &str) -> bool {
    let bytes = s.as_bytes();
    if bytes.len() < 8 {
        return bytes.iter().all(|b| (0x21..=0x7e).contains(b));
    }
    let mut at = 0;
    while at + 8 <= bytes.len() {
        if outside_visible_ascii(word(bytes, at)) {
            return false;
        }
        at += 8;
    }
    // The last eight bytes, overlapping the words already checked.
    !outside_visible_ascii(word(bytes, bytes.len() - 8))
}

/// The decimal digits of `n` (no sign, no leading zeros), written into the
/// end of `buf`. `to_string()` or `write!` cost several times as much in
/// the VM; contracts write numbers into every ID and answer.
pub fn decimal_digits(n: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut at = buf.len();
    let mut rest = n;
    loop {
        at -= 1;
        buf[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            return &buf[at..];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn by_char(s: &str) -> bool {
        s.chars().all(|c| c.is_ascii_graphic())
    }

    #[test]
    fn decimal_digits_match_to_string() {
        let mut buf = [0u8; 20];
        for n in [
            0,
            1,
            9,
            10,
            99,
            100,
            12_345,
            u64::MAX / 7,
            u64::MAX - 1,
            u64::MAX,
        ] {
            assert_eq!(decimal_digits(n, &mut buf), n.to_string().as_bytes());
        }
    }

    #[test]
    fn agrees_with_a_char_by_char_check_for_every_byte_at_every_place() {
        let base = "cosmwasm1kmz9scu8tc6ysl9rc92769z7lcf2w3vpufa7lmz6";
        for len in 0..base.len() {
            let plain = &base[..len];
            assert!(is_visible_ascii(plain), "{plain:?}");
            for at in 0..=len {
                for odd in (0u8..0x80)
                    .map(char::from)
                    .chain(['é', '\u{85}', '\u{a0}', '😀'])
                {
                    let s = format!("{}{odd}{}", &plain[..at], &plain[at..]);
                    assert_eq!(is_visible_ascii(&s), by_char(&s), "{s:?}");
                }
            }
        }
    }
}
