//! The JSON a contract hands back to the VM, written by hand.
//!
//! cosmwasm-std serialises an execute's `Response` (and a query's answer)
//! with serde_json, which looks at every byte of every string on its own:
//! in the VM, where each branch costs about 14 instructions, that was about
//! 10,000 gas per byte of response, a fifth of an ordinary execute. This
//! writer produces the same bytes (tested against serde_json below) but
//! checks eight bytes of a string per step, copies runs in one `memcpy` and
//! base64-encodes binaries straight into the output.

use cosmwasm_std::{
    Attribute, BankMsg, Binary, Coin, CosmosMsg, Event, ReplyOn, Response, SubMsg, Uint128, WasmMsg,
};

/// `{"ok":<response>}`, as `ContractResult::Ok(response)` serialises.
pub fn ok_response(response: &Response) -> Vec<u8> {
    let mut out = Vec::with_capacity(estimate(response));
    out.extend_from_slice(b"{\"ok\":{\"messages\":");
    list(&mut out, &response.messages, sub_msg);
    out.extend_from_slice(b",\"attributes\":");
    list(&mut out, &response.attributes, attribute);
    out.extend_from_slice(b",\"events\":");
    list(&mut out, &response.events, write_event);
    out.extend_from_slice(b",\"data\":");
    match &response.data {
        Some(data) => base64_string(&mut out, data),
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b"}}");
    out
}

/// `{"ok":"<base64>"}`, as `ContractResult::Ok(binary)` serialises (a
/// query's answer).
pub fn ok_binary(answer: &Binary) -> Vec<u8> {
    let mut out = Vec::with_capacity(answer.len() / 3 * 4 + 16);
    out.extend_from_slice(b"{\"ok\":");
    base64_string(&mut out, answer);
    out.push(b'}');
    out
}

/// `s` as a JSON string: the bytes `to_json_binary(s)` gives, for the ID
/// an execute returns as its data.
pub fn string_binary(s: &str) -> Binary {
    let mut out = Vec::with_capacity(s.len() + 2);
    string(&mut out, s);
    Binary::from(out)
}

/// Room for the usual response without regrowing: the strings plus the
/// JSON around them.
fn estimate(response: &Response) -> usize {
    let attrs = |list: &[Attribute]| {
        list.iter()
            .map(|a| a.key.len() + a.value.len() + 24)
            .sum::<usize>()
    };
    let events: usize = response
        .events
        .iter()
        .map(|e| e.ty.len() + attrs(&e.attributes) + 32)
        .sum();
    let data = response.data.as_ref().map_or(4, |d| d.len() / 3 * 4 + 6);
    64 + attrs(&response.attributes) + events + data + response.messages.len() * 256
}

/// A JSON array of `items`, each written by `write`.
fn list<T>(out: &mut Vec<u8>, items: &[T], write: impl Fn(&mut Vec<u8>, &T)) {
    out.push(b'[');
    for (n, item) in items.iter().enumerate() {
        if n > 0 {
            out.push(b',');
        }
        write(out, item);
    }
    out.push(b']');
}

fn write_event(out: &mut Vec<u8>, event: &Event) {
    out.extend_from_slice(b"{\"type\":");
    string(out, &event.ty);
    out.extend_from_slice(b",\"attributes\":");
    list(out, &event.attributes, attribute);
    out.push(b'}');
}

fn attribute(out: &mut Vec<u8>, a: &Attribute) {
    out.extend_from_slice(b"{\"key\":");
    string(out, &a.key);
    out.extend_from_slice(b",\"value\":");
    string(out, &a.value);
    out.push(b'}');
}

fn sub_msg(out: &mut Vec<u8>, sub: &SubMsg) {
    out.extend_from_slice(b"{\"id\":");
    number(out, sub.id);
    out.extend_from_slice(b",\"payload\":");
    base64_string(out, &sub.payload);
    out.extend_from_slice(b",\"msg\":");
    cosmos_msg(out, &sub.msg);
    out.extend_from_slice(b",\"gas_limit\":");
    match sub.gas_limit {
        Some(limit) => number(out, limit),
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(match sub.reply_on {
        ReplyOn::Always => b",\"reply_on\":\"always\"}".as_slice(),
        ReplyOn::Error => b",\"reply_on\":\"error\"}",
        ReplyOn::Success => b",\"reply_on\":\"success\"}",
        ReplyOn::Never => b",\"reply_on\":\"never\"}",
    });
}

/// The two messages the contracts send (a contract call, a payment) by
/// hand; any other through serde_json.
fn cosmos_msg(out: &mut Vec<u8>, msg: &CosmosMsg) {
    match msg {
        CosmosMsg::Wasm(WasmMsg::Execute {
            contract_addr,
            msg,
            funds,
        }) => {
            out.extend_from_slice(b"{\"wasm\":{\"execute\":{\"contract_addr\":");
            string(out, contract_addr);
            out.extend_from_slice(b",\"msg\":");
            base64_string(out, msg);
            out.extend_from_slice(b",\"funds\":");
            list(out, funds, write_coin);
            out.extend_from_slice(b"}}}");
        }
        CosmosMsg::Bank(BankMsg::Send { to_address, amount }) => {
            out.extend_from_slice(b"{\"bank\":{\"send\":{\"to_address\":");
            string(out, to_address);
            out.extend_from_slice(b",\"amount\":");
            list(out, amount, write_coin);
            out.extend_from_slice(b"}}}");
        }
        other => match cosmwasm_std::to_json_vec(other) {
            Ok(json) => out.extend_from_slice(&json),
            // serde_json cannot fail on these types (no maps with non-string
            // keys, no floats); should it, the VM refuses the invalid JSON.
            Err(_) => out.extend_from_slice(b"null"),
        },
    }
}

fn write_coin(out: &mut Vec<u8>, c: &Coin) {
    out.extend_from_slice(b"{\"denom\":");
    string(out, &c.denom);
    out.extend_from_slice(b",\"amount\":\"");
    match Uint128::try_from(c.amount) {
        Ok(amount) => number(out, amount.u128()),
        Err(_) => out.extend_from_slice(c.amount.to_string().as_bytes()),
    }
    out.extend_from_slice(b"\"}");
}

/// Decimal digits of `n` (u64 arithmetic when it fits: wasm has no 128-bit
/// division instruction).
fn number(out: &mut Vec<u8>, n: impl Into<u128>) {
    let n: u128 = n.into();
    match u64::try_from(n) {
        Ok(small) => digits_of(out, small),
        Err(_) => {
            // Above u64::MAX: the high digits, then the last 19 zero-padded.
            const TEN_19: u128 = 10_000_000_000_000_000_000;
            number(out, n / TEN_19);
            let low = (n % TEN_19) as u64;
            let mut padded = Vec::with_capacity(19);
            digits_of(&mut padded, low);
            out.resize(out.len() + 19 - padded.len(), b'0');
            out.extend_from_slice(&padded);
        }
    }
}

fn digits_of(out: &mut Vec<u8>, n: u64) {
    let mut buf = [0u8; 20];
    out.extend_from_slice(ve_types::text::decimal_digits(n, &mut buf));
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// Whether any of the eight bytes needs escaping in JSON: a control
/// character (< 0x20), `"` or `\`. Each test is the classic "has a byte
/// less than n" trick, exact as a yes/no.
fn needs_escape(word: u64) -> bool {
    let control = word.wrapping_sub(ONES * 0x20) & !word & HIGH;
    let quote = word ^ (ONES * b'"' as u64);
    let quote = quote.wrapping_sub(ONES) & !quote & HIGH;
    let backslash = word ^ (ONES * b'\\' as u64);
    let backslash = backslash.wrapping_sub(ONES) & !backslash & HIGH;
    (control | quote | backslash) != 0
}

fn word_at(bytes: &[u8], at: usize) -> u64 {
    let mut word = [0u8; 8];
    word.copy_from_slice(&bytes[at..at + 8]);
    u64::from_le_bytes(word)
}

/// A JSON string, escaped exactly as serde_json escapes (short forms for
/// `\b \t \n \f \r`, `\u00xx` for other control characters, everything
/// else, non-ASCII included, as is).
fn string(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    let mut start = 0;
    let mut at = 0;
    while at < bytes.len() {
        if at + 8 <= bytes.len() {
            if !needs_escape(word_at(bytes, at)) {
                at += 8;
                continue;
            }
        } else if bytes.len() >= 8 && !needs_escape(word_at(bytes, bytes.len() - 8)) {
            // The last (overlapping) eight bytes are clean: so is the tail.
            break;
        }
        let b = bytes[at];
        if let Some(escaped) = escape(b) {
            out.extend_from_slice(&bytes[start..at]);
            out.extend_from_slice(&escaped.0[..escaped.1]);
            start = at + 1;
        }
        at += 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// The escape of `b` (bytes and length), if it needs one.
fn escape(b: u8) -> Option<([u8; 6], usize)> {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let short = |c: u8| Some(([b'\\', c, 0, 0, 0, 0], 2));
    match b {
        b'"' => short(b'"'),
        b'\\' => short(b'\\'),
        0x08 => short(b'b'),
        b'\t' => short(b't'),
        b'\n' => short(b'n'),
        0x0c => short(b'f'),
        b'\r' => short(b'r'),
        0x00..=0x1f => Some((
            [
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[(b >> 4) as usize],
                HEX[(b & 0xf) as usize],
            ],
            6,
        )),
        _ => None,
    }
}

/// A binary as a JSON string of standard, padded base64 (`Binary`'s form).
/// The alphabet needs no escaping.
fn base64_string(out: &mut Vec<u8>, data: &[u8]) {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let sextet = |v: u32, shift: u32| ALPHABET[((v >> shift) & 63) as usize];
    out.reserve(data.len().div_ceil(3) * 4 + 2);
    out.push(b'"');
    let mut chunks = data.chunks_exact(3);
    for c in &mut chunks {
        let v = (c[0] as u32) << 16 | (c[1] as u32) << 8 | c[2] as u32;
        out.extend_from_slice(&[sextet(v, 18), sextet(v, 12), sextet(v, 6), sextet(v, 0)]);
    }
    match *chunks.remainder() {
        [a] => {
            let v = (a as u32) << 16;
            out.extend_from_slice(&[sextet(v, 18), sextet(v, 12), b'=', b'=']);
        }
        [a, b] => {
            let v = (a as u32) << 16 | (b as u32) << 8;
            out.extend_from_slice(&[sextet(v, 18), sextet(v, 12), sextet(v, 6), b'=']);
        }
        _ => {}
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use cosmwasm_std::{coin, to_json_binary, to_json_vec, ContractResult, Empty, Uint256};

    use super::*;

    fn serde_json_of(response: &Response) -> String {
        String::from_utf8(to_json_vec(&ContractResult::Ok(response.clone())).unwrap()).unwrap()
    }

    fn ours(response: &Response) -> String {
        String::from_utf8(ok_response(response)).expect("valid UTF-8")
    }

    /// Every byte value, every length around the eight-byte step, escapes
    /// at the start, middle and end.
    fn awkward_strings() -> Vec<String> {
        let mut all: Vec<String> = (0u8..0x80).map(|b| (b as char).to_string()).collect();
        for len in 0..20 {
            let plain: String = "abcdefghijklmnopqrstu"[..len].into();
            all.push(plain.clone());
            for special in [
                "\"", "\\", "\n", "\u{1}", "\u{1f}", "\u{7f}", "é", "€", "😀",
            ] {
                all.push(format!("{special}{plain}"));
                all.push(format!("{plain}{special}"));
                let mid = len / 2;
                all.push(format!("{}{special}{}", &plain[..mid], &plain[mid..]));
            }
        }
        all.push("cosmwasm1kmz9scu8tc6ysl9rc92769z7lcf2w3vpufa7lmz65esm3m5v5mwszuxnwq/1/1".into());
        all.push("\"\"\\\\\u{0}\u{8}\u{9}\u{a}\u{c}\u{d}\"".repeat(5));
        all
    }

    #[test]
    fn strings_are_escaped_byte_for_byte_like_serde_json() {
        for s in awkward_strings() {
            // Keys may not start with `_`: "k" before each.
            let response = Response::<Empty>::new()
                .add_attribute(format!("k{s}"), s.clone())
                .add_event(Event::new(s.clone()).add_attribute("k", s.clone()));
            assert_eq!(ours(&response), serde_json_of(&response), "string {s:?}");
        }
    }

    #[test]
    fn string_data_is_byte_for_byte_serde_json() {
        for s in awkward_strings() {
            assert_eq!(
                string_binary(&s),
                to_json_binary(&s).unwrap(),
                "string {s:?}"
            );
        }
    }

    #[test]
    fn a_full_response_matches_serde_json() {
        let call = WasmMsg::Execute {
            contract_addr: "contract\"1".into(),
            msg: to_json_binary(&"a message").unwrap(),
            funds: vec![
                coin(5, "uvirt"),
                coin(u128::MAX, "ibc/AB"),
                Coin::new(Uint256::MAX, "big"),
            ],
        };
        let response = Response::<Empty>::new()
            .add_message(call)
            .add_submessage(SubMsg::reply_on_error(
                BankMsg::Send {
                    to_address: "addr".into(),
                    amount: vec![coin(0, "uvirt")],
                },
                7,
            ))
            .add_submessage(
                SubMsg::reply_always(BankMsg::Burn { amount: vec![] }, u64::MAX)
                    .with_gas_limit(300_000)
                    .with_payload(vec![1, 2, 3, 4]),
            )
            .add_submessage(SubMsg::reply_on_success(
                WasmMsg::Migrate {
                    contract_addr: "c".into(),
                    new_code_id: 2,
                    msg: Binary::from(b"{}".as_slice()),
                },
                1,
            ))
            .add_attribute("action", "settle")
            .add_attribute("amount", Uint128::new(10))
            .add_event(Event::new("ve.settled").add_attribute("gross", "100"))
            .add_event(Event::new("empty"))
            .set_data(b"\x00\xffbinary");
        assert_eq!(ours(&response), serde_json_of(&response));
        let empty = Response::<Empty>::new();
        assert_eq!(ours(&empty), serde_json_of(&empty));
    }

    #[test]
    fn binaries_of_every_padding_match_serde_json() {
        for len in 0..70usize {
            let data: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
            let binary = Binary::from(data.clone());
            let expected = to_json_vec(&ContractResult::Ok(binary.clone())).unwrap();
            assert_eq!(ok_binary(&binary), expected, "length {len}");
            let response = Response::<Empty>::new().set_data(data);
            assert_eq!(ours(&response), serde_json_of(&response), "data {len}");
        }
    }

    #[test]
    fn numbers_match_serde_json() {
        for n in [0u64, 1, 9, 10, 99, 100, 12_345, u64::MAX / 7, u64::MAX] {
            let mut out = Vec::new();
            number(&mut out, n);
            assert_eq!(out, to_json_vec(&n).unwrap(), "{n}");
        }
        let ten_19 = 10_000_000_000_000_000_000u128;
        for n in [u64::MAX as u128 + 1, ten_19 * 5, ten_19 * 5 + 7, u128::MAX] {
            let mut out = vec![b'"'];
            number(&mut out, n);
            out.push(b'"');
            assert_eq!(out, to_json_vec(&Uint128::new(n)).unwrap(), "{n}");
        }
    }
}
