//! Macros for serializer proxies: a `Serializer` that wraps another one (its field
//! `inner`) and changes a few of its methods. The proxy of `DepthLimited` (depth count,
//! non-finite floats) and the field editor of the `wire` module are two; the
//! methods they pass on unchanged are written once, here.
//!
//! The generated methods refer to the proxy's type parameter `S` (the wrapped
//! serializer), so an `impl<S: Serializer> Serializer for Proxy<S>` can call them as they
//! are.

/// Serializer methods that hand their arguments to `self.inner`'s method of the same name
/// and return its result; `method<T>(..)` takes a value `T: ?Sized + Serialize`.
///
/// With `via wrap:` first, each method returns `self.wrap(|inner| inner.method(..))`
/// instead: the proxy opens a compound of its own around the one `inner` opens (`via
/// inner:` is the plain form).
macro_rules! forward {
    (via inner: $($methods:tt)*) => {
        $crate::limits::serializer_proxy::forward! { $($methods)* }
    };
    (via $wrap:ident: $($method:ident($($arg:ident: $ty:ty),*) -> $ret:ty;)*) => {$(
        #[inline]
        fn $method(self, $($arg: $ty),*) -> Result<$ret, S::Error> {
            self.$wrap(|inner| inner.$method($($arg),*))
        }
    )*};
    ($($method:ident $(<$t:ident>)? ($($arg:ident: $ty:ty),*) -> $ret:ty;)*) => {$(
        #[inline]
        fn $method $(<$t: ?Sized + serde::Serialize>)? (self, $($arg: $ty),*) -> Result<$ret, S::Error> {
            self.inner.$method($($arg),*)
        }
    )*};
}

/// What every proxy of this crate passes on unchanged: the integers, `bool`, `char`,
/// strings, bytes, `None`, the unit values, `collect_str` and `is_human_readable`.
macro_rules! forward_scalars {
    () => {
        $crate::limits::serializer_proxy::forward! {
            serialize_bool(v: bool) -> S::Ok;
            serialize_i8(v: i8) -> S::Ok;
            serialize_i16(v: i16) -> S::Ok;
            serialize_i32(v: i32) -> S::Ok;
            serialize_i64(v: i64) -> S::Ok;
            serialize_i128(v: i128) -> S::Ok;
            serialize_u8(v: u8) -> S::Ok;
            serialize_u16(v: u16) -> S::Ok;
            serialize_u32(v: u32) -> S::Ok;
            serialize_u64(v: u64) -> S::Ok;
            serialize_u128(v: u128) -> S::Ok;
            serialize_char(v: char) -> S::Ok;
            serialize_str(v: &str) -> S::Ok;
            serialize_bytes(v: &[u8]) -> S::Ok;
            serialize_none() -> S::Ok;
            serialize_unit() -> S::Ok;
            serialize_unit_struct(name: &'static str) -> S::Ok;
            serialize_unit_variant(name: &'static str, index: u32, variant: &'static str) -> S::Ok;
        }

        #[inline]
        fn collect_str<T: ?Sized + std::fmt::Display>(self, value: &T) -> Result<S::Ok, S::Error> {
            self.inner.collect_str(value)
        }

        #[inline]
        fn is_human_readable(&self) -> bool {
            self.inner.is_human_readable()
        }
    };
}

/// The methods that open a compound, each through [`forward!`]`(via ..)`: sequences,
/// tuples and maps `via $seqs`, structs `via $structs`.
macro_rules! forward_compounds {
    (seqs: $seqs:ident, structs: $structs:ident) => {
        $crate::limits::serializer_proxy::forward! {
            via $seqs:
            serialize_seq(len: Option<usize>) -> Self::SerializeSeq;
            serialize_tuple(len: usize) -> Self::SerializeTuple;
            serialize_tuple_struct(name: &'static str, len: usize) -> Self::SerializeTupleStruct;
            serialize_tuple_variant(name: &'static str, index: u32, variant: &'static str, len: usize)
                -> Self::SerializeTupleVariant;
            serialize_map(len: Option<usize>) -> Self::SerializeMap;
        }
        $crate::limits::serializer_proxy::forward! {
            via $structs:
            serialize_struct(name: &'static str, len: usize) -> Self::SerializeStruct;
            serialize_struct_variant(name: &'static str, index: u32, variant: &'static str, len: usize)
                -> Self::SerializeStructVariant;
        }
    };
}

pub(crate) use {forward, forward_compounds, forward_scalars};
