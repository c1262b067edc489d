//! The consistent hashing page's hash in WebAssembly: the same fixed values as natively
//! (core/tests/hashring.rs, `hash_is_stable`), so a ring drawn in the browser places every
//! key where the CLI does.

use dsplay_core::algo::hashring::{hash_key, key_name, vnode_hash, Ring};
use dsplay_core::sim::NodeId;
use std::collections::{BTreeMap, BTreeSet};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn hash_key_gives_the_native_values() {
    assert_eq!(hash_key(""), 0xf52a15e9a9b5e89b);
    assert_eq!(hash_key("a"), 0x02c0bdbf481420f8);
    assert_eq!(hash_key("k0001"), 0xc83f7947fc99b873);
    assert_eq!(hash_key("n1#0"), 0xe73b9b96754f50a4);
    assert_eq!(vnode_hash(NodeId(0), 0), hash_key("n1#0"));
    assert_eq!(key_name(42), "k0042");
}

#[wasm_bindgen_test]
fn placement_uses_the_full_64_bits() {
    // usize is 32 bits here: positions and the binary search must not be truncated.
    let members: BTreeMap<NodeId, u32> = (0..4).map(|i| (NodeId(i), 1)).collect();
    let ring = Ring::build(&members, 1);
    assert_eq!(ring.vnodes.len(), 4);
    assert!(ring.vnodes.iter().any(|v| v.pos > u64::from(u32::MAX)));
    let keys: BTreeSet<String> = ["k0001".to_string()].into();
    let owners = ring.place(&keys, 1);
    let h = hash_key("k0001");
    let want = ring
        .vnodes
        .iter()
        .find(|v| v.pos >= h)
        .unwrap_or(&ring.vnodes[0])
        .node;
    assert_eq!(owners["k0001"], vec![want]);
}
