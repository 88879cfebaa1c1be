//! What the contracts rely on from the pinned cosmwasm-std, cw-storage-plus,
//! cw2 and postcard (the workspace's `=` versions): the JSON the VM and
//! clients exchange, the storage key layout `ve_cw::store` shares with
//! cw-storage-plus (raw-state readers read these keys), and the packed
//! value format. An upgrade that changes any of it fails here first: read
//! the release notes, then change the pin and these figures together.

use cosmwasm_std::testing::{message_info, mock_env, MockApi, MockStorage};
use cosmwasm_std::{
    coin, from_json, to_json_string, Addr, Binary, Env, MessageInfo, Storage, Timestamp, Uint128,
};
use cw_storage_plus::Map as PlusMap;
use serde::{Deserialize, Serialize};
use ve_cw::store::Map;

#[test]
fn numbers_times_and_bytes_keep_their_json() {
    assert_eq!(
        to_json_string(&Uint128::MAX).unwrap(),
        "\"340282366920938463463374607431768211455\""
    );
    assert_eq!(
        to_json_string(&Timestamp::from_seconds(1_700_000_000)).unwrap(),
        "\"1700000000000000000\""
    );
    assert_eq!(
        to_json_string(&Binary::from(b"\x00\xffve".to_vec())).unwrap(),
        "\"AP92ZQ==\""
    );
    assert_eq!(
        to_json_string(&coin(5, "uve")).unwrap(),
        r#"{"denom":"uve","amount":"5"}"#
    );
    let amount: Uint128 = from_json("\"17\"").unwrap();
    assert_eq!(amount, Uint128::new(17));
    // A number where a string is expected is refused, as clients rely on.
    assert!(from_json::<Uint128>("17").is_err());
}

#[test]
fn env_and_info_parse_from_the_json_the_vm_passes() {
    let env: Env = from_json(
        r#"{"block":{"height":12345,"time":"1571797419879305533","chain_id":"cosmos-testnet-14002"},
            "transaction":{"index":3},
            "contract":{"address":"cosmwasm1jpev2csrppg792t22rn8z8uew8h3sjcpglcd0qv9g8gj8ky922ts74yrjj"}}"#,
    )
    .unwrap();
    assert_eq!(env.block.height, 12_345);
    assert_eq!(env.block.time.nanos(), 1_571_797_419_879_305_533);
    assert_eq!(env.transaction.map(|t| t.index), Some(3));
    // And back: the mock env of the contract suites has the same shape.
    let mock = to_json_string(&mock_env()).unwrap();
    for field in [
        "\"block\"",
        "\"height\"",
        "\"time\"",
        "\"chain_id\"",
        "\"contract\"",
    ] {
        assert!(mock.contains(field), "{mock}");
    }

    let info: MessageInfo =
        from_json(r#"{"sender":"cosmwasm1someone","funds":[{"denom":"uve","amount":"250"}]}"#)
            .unwrap();
    assert_eq!(info.sender, Addr::unchecked("cosmwasm1someone"));
    assert_eq!(info.funds, vec![coin(250, "uve")]);
    let who = MockApi::default().addr_make("who");
    assert_eq!(
        to_json_string(&message_info(&who, &[coin(1, "a")])).unwrap(),
        format!(r#"{{"sender":"{who}","funds":[{{"denom":"a","amount":"1"}}]}}"#)
    );
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Record {
    n: u64,
    name: String,
    #[serde(with = "ve_types::packed::uint128")]
    amount: Uint128,
    #[serde(with = "ve_types::packed::timestamp")]
    at: Timestamp,
}

#[cfg(not(feature = "json-store"))]
fn record() -> Record {
    Record {
        n: 300,
        name: "ab".into(),
        amount: Uint128::new(1),
        at: Timestamp::from_nanos(2),
    }
}

#[test]
fn storage_keys_are_cw_storage_plus_keys() {
    // A namespace is length-prefixed (two bytes, big-endian), then the key;
    // the inner parts of a composite key are length-prefixed too, the last
    // is not; integers are big-endian.
    let plus: PlusMap<(&str, u64), u8> = PlusMap::new("ns");
    let mut storage = MockStorage::new();
    plus.save(&mut storage, ("ab", 7), &1).unwrap();
    let expected = [b"\x00\x02ns".as_slice(), b"\x00\x02ab", &7u64.to_be_bytes()].concat();
    assert_eq!(storage.get(&expected), Some(b"1".to_vec()));

    let ours: Map<(&str, u64), Record> = Map::new("ns");
    assert_eq!(ours.key(("ab", 7)), expected);
    // cw2's version record: a fixed key and JSON, which wasmd's and
    // explorers' readers expect.
    cw2::set_contract_version(&mut storage, "crates.io:x", "1.2.3").unwrap();
    assert_eq!(
        storage.get(b"contract_info"),
        Some(br#"{"contract":"crates.io:x","version":"1.2.3"}"#.to_vec())
    );
}

#[cfg(not(feature = "json-store"))]
#[test]
fn packed_values_keep_their_bytes() {
    // postcard: integers as varints (300 = AC 02), strings length first,
    // and the packed numbers as integers (1, then 2 nanoseconds).
    let mut storage = MockStorage::new();
    let item: ve_cw::store::Item<Record> = ve_cw::store::Item::new("r");
    item.save(&mut storage, &record()).unwrap();
    assert_eq!(
        storage.get(b"r"),
        Some(vec![0xAC, 0x02, 0x02, b'a', b'b', 0x01, 0x02])
    );
    assert_eq!(item.load(&storage).unwrap(), record());
    // In JSON the packed numbers are the usual strings.
    assert_eq!(
        to_json_string(&record()).unwrap(),
        r#"{"n":300,"name":"ab","amount":"1","at":"2"}"#
    );
}
