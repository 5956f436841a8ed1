//! FNV-1a, the one non-cryptographic hash of the crate: it maps user-supplied ids to W3C
//! (and OTLP) ids ([`w3c`](crate::w3c)) and fingerprints API keys in a saved
//! [`TraceState`](crate::TraceState). Simple enough to recompute in any language; never
//! a secret, never a defence against someone who chooses the input.

const OFFSET_128: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
const PRIME_128: u128 = 0x0000_0000_0100_0000_0000_0000_0000_013b;
/// The 64-bit offset basis: the hash of no bytes.
pub(crate) const OFFSET_64: u64 = 0xcbf2_9ce4_8422_2325;
const PRIME_64: u64 = 0x0000_0100_0000_01b3;

/// 128-bit FNV-1a of `bytes`.
pub(crate) fn fnv1a_128(bytes: &[u8]) -> u128 {
    bytes.iter().fold(OFFSET_128, |h, &b| (h ^ u128::from(b)).wrapping_mul(PRIME_128))
}

/// 64-bit FNV-1a of `bytes`.
pub(crate) fn fnv1a_64(bytes: &[u8]) -> u64 {
    fnv1a_64_more(OFFSET_64, bytes)
}

/// Goes on hashing `bytes` from the hash `h` of what came before them: the hash of the
/// concatenation, without building it.
pub(crate) fn fnv1a_64_more(h: u64, bytes: &[u8]) -> u64 {
    bytes.iter().fold(h, |h, &b| (h ^ u64::from(b)).wrapping_mul(PRIME_64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_test_vectors() {
        assert_eq!(fnv1a_64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a_64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a_64(b"foobar"), 0x8594_4171_f739_67e8);
        assert_eq!(fnv1a_128(b""), OFFSET_128);
        assert_eq!(fnv1a_128(b"a"), 0xd228_cb69_6f1a_8caf_7891_2b70_4e4a_8964);
    }

    #[test]
    fn continuing_a_hash_is_hashing_the_concatenation() {
        assert_eq!(fnv1a_64_more(fnv1a_64(b"foo"), b"bar"), fnv1a_64(b"foobar"));
    }
}
