//! A small, stable 64-bit hash (FNV-1a) used for trace hashes.
//!
//! The same bytes give the same value on every target, which is what the determinism
//! tests compare (natively and in WebAssembly).

/// FNV-1a over bytes; implements [`std::io::Write`] so serializers can stream into it.
#[derive(Clone, Debug)]
pub struct Fnv64(u64);

impl Default for Fnv64 {
    fn default() -> Self {
        Fnv64(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv64 {
    pub fn update(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    pub fn finish(&self) -> u64 {
        self.0
    }
}

impl std::io::Write for Fnv64 {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Hash of any serializable value through its compact JSON form.
///
/// The JSON is built in memory with `serde_json::to_vec`, the one serializer the rest of the
/// crate uses, rather than streamed into the hasher: every extra serializer would compile
/// every `Serialize` impl once more into the WebAssembly bundle.
pub fn hash_json<T: serde::Serialize + ?Sized>(value: &T) -> u64 {
    let mut h = Fnv64::default();
    // A serializer error would be a bug in a type (e.g. a map with non-string keys).
    h.update(&serde_json::to_vec(value).expect("trace values serialize"));
    h.finish()
}

/// Format a hash the way the CLI prints it.
pub fn hex(hash: u64) -> String {
    format!("{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv_known_values() {
        // Reference values of FNV-1a 64.
        let mut h = Fnv64::default();
        h.update(b"");
        assert_eq!(h.finish(), 0xcbf29ce484222325);
        let mut h = Fnv64::default();
        h.update(b"a");
        assert_eq!(h.finish(), 0xaf63dc4c8601ec8c);
        let mut h = Fnv64::default();
        h.update(b"foobar");
        assert_eq!(h.finish(), 0x85944171f73967e8);
    }
}
