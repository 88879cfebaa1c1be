//! Number formatting for the IDs contracts write into every key and answer.

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
}
