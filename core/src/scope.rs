//! OAuth 2.0 scopes: one validated [`Scope`], a set of them as [`Scopes`], and [`ScopeError`].
//!
//! A scope is a non-empty string of the characters RFC 6749 §3.3 allows (`%x21 / %x23-5B /
//! %x5D-7E`: visible ASCII except `"` and `\`). No scope name is hard-coded: Lucca's own
//! documentation spells them in more than one way, so whatever the caller configures is sent.
//!
//! [`Scopes`] keeps the order in which scopes were added, because that is the order sent on the
//! wire, but compares, hashes, orders and builds its [`cache_key`](Scopes::cache_key) on the
//! sorted, deduplicated set: `"a b"` and `"b a"` are the same request. Lucca caps a token's
//! scopes at 4,000 characters; a longer space-separated form is refused with
//! [`ScopeError::TooLong`].
//!
//! ```
//! use lucca_auth::scope::Scopes;
//!
//! let requested = Scopes::parse_space_separated("users.readonly  leaves.readwrite")?;
//! let granted = Scopes::parse_space_separated("leaves.readwrite")?;
//! assert_eq!(requested.to_space_separated(), "users.readonly leaves.readwrite");
//! assert_eq!(requested.cache_key(), "leaves.readwrite users.readonly");
//! assert_eq!(requested.difference(&granted).to_space_separated(), "users.readonly");
//! # Ok::<(), lucca_auth::scope::ScopeError>(())
//! ```

use alloc::string::String;
use alloc::vec::Vec;
use core::cmp::Ordering;
use core::fmt;
use core::hash::{Hash, Hasher};
use core::str::FromStr;

/// The longest space-separated scope list Lucca accepts, in characters.
pub const MAX_SCOPES_LEN: usize = 4000;

/// Why a scope or a scope list was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ScopeError {
    /// A scope was the empty string.
    Empty,
    /// A scope contained a character outside RFC 6749 §3.3 (`%x21 / %x23-5B / %x5D-7E`):
    /// a control character, a space inside one scope, `"`, `\` or a non-ASCII character.
    InvalidCharacter {
        /// Byte offset of the character in the string that was parsed.
        position: usize,
    },
    /// The space-separated list would be longer than [`MAX_SCOPES_LEN`] characters.
    TooLong {
        /// The length the list would have had.
        len: usize,
    },
}

impl fmt::Display for ScopeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScopeError::Empty => f.write_str("empty scope"),
            ScopeError::InvalidCharacter { position } => write!(
                f,
                "invalid character in scope at byte {position} (RFC 6749 section 3.3 allows \
                 visible ASCII except '\"' and '\\')"
            ),
            ScopeError::TooLong { len } => write!(
                f,
                "scope list too long: {len} characters, at most {MAX_SCOPES_LEN} allowed"
            ),
        }
    }
}

impl core::error::Error for ScopeError {}

/// Whether `byte` may appear in a scope (RFC 6749 §3.3 `NQCHAR`).
const fn is_scope_char(byte: u8) -> bool {
    matches!(byte, 0x21 | 0x23..=0x5B | 0x5D..=0x7E)
}

/// Validates one scope; `offset` is added to reported positions.
fn check_scope(scope: &str, offset: usize) -> Result<(), ScopeError> {
    if scope.is_empty() {
        return Err(ScopeError::Empty);
    }
    match scope.bytes().position(|b| !is_scope_char(b)) {
        Some(i) => Err(ScopeError::InvalidCharacter {
            position: offset.saturating_add(i),
        }),
        None => Ok(()),
    }
}

/// One OAuth 2.0 scope: a non-empty string of RFC 6749 §3.3 characters.
///
/// ```
/// use lucca_auth::scope::{Scope, ScopeError};
///
/// assert_eq!(Scope::new("leaves.readwrite")?.as_str(), "leaves.readwrite");
/// assert_eq!(Scope::new(""), Err(ScopeError::Empty));
/// assert_eq!(Scope::new("a b"), Err(ScopeError::InvalidCharacter { position: 1 }));
/// # Ok::<(), ScopeError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Scope(String);

impl Scope {
    /// Validates and wraps one scope.
    pub fn new(scope: impl Into<String>) -> Result<Self, ScopeError> {
        let scope = scope.into();
        check_scope(&scope, 0)?;
        Ok(Scope(scope))
    }

    /// The scope as sent on the wire (before form encoding).
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The scope's length in characters (all scope characters are ASCII).
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Always false: a scope is never empty. Present for API symmetry with `len`.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Scope").field(&self.0).finish()
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Scope {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl FromStr for Scope {
    type Err = ScopeError;

    fn from_str(s: &str) -> Result<Self, ScopeError> {
        Scope::new(s)
    }
}

impl TryFrom<&str> for Scope {
    type Error = ScopeError;

    fn try_from(s: &str) -> Result<Self, ScopeError> {
        Scope::new(s)
    }
}

impl TryFrom<String> for Scope {
    type Error = ScopeError;

    fn try_from(s: String) -> Result<Self, ScopeError> {
        Scope::new(s)
    }
}

/// A set of scopes that remembers insertion order for the wire.
///
/// - [`iter`](Scopes::iter) and [`to_space_separated`](Scopes::to_space_separated) give the
///   scopes in the order they were first added (duplicates are dropped);
/// - `==`, `Hash`, `Ord` and [`cache_key`](Scopes::cache_key) see only the sorted set;
/// - the space-separated form is at most [`MAX_SCOPES_LEN`] characters;
/// - an empty set means "no `scope` parameter" in a token request.
///
/// ```
/// use lucca_auth::scope::{Scope, Scopes};
///
/// let a = Scopes::try_from_iter(["b", "a", "b"])?;
/// let b = Scopes::parse_space_separated(" a b ")?;
/// assert_eq!(a, b);
/// assert_eq!(a.to_space_separated(), "b a");
/// assert_eq!(b.to_space_separated(), "a b");
///
/// let collected: Result<Scopes, _> = [Scope::new("x")?, Scope::new("y")?].into_iter().collect();
/// assert_eq!(collected?.cache_key(), "x y");
/// # Ok::<(), lucca_auth::scope::ScopeError>(())
/// ```
#[derive(Clone, Default)]
pub struct Scopes {
    /// Distinct scopes in insertion order.
    wire: Vec<Scope>,
    /// Indices into `wire`, ordered by scope value.
    sorted: Vec<usize>,
    /// Length of the space-separated form.
    wire_len: usize,
}

impl Scopes {
    /// The empty set.
    #[must_use]
    pub const fn new() -> Self {
        Scopes {
            wire: Vec::new(),
            sorted: Vec::new(),
            wire_len: 0,
        }
    }

    /// Parses a space-separated list as RFC 6749 §3.3 writes it. Leading, trailing and repeated
    /// spaces are tolerated (a run of spaces is one separator); any other whitespace is an
    /// invalid character. The empty string gives the empty set.
    ///
    /// ```
    /// use lucca_auth::scope::{ScopeError, Scopes};
    ///
    /// assert_eq!(Scopes::parse_space_separated("  a   b ")?.to_space_separated(), "a b");
    /// assert!(Scopes::parse_space_separated("")?.is_empty());
    /// assert_eq!(
    ///     Scopes::parse_space_separated("a\tb"),
    ///     Err(ScopeError::InvalidCharacter { position: 1 })
    /// );
    /// # Ok::<(), ScopeError>(())
    /// ```
    pub fn parse_space_separated(list: &str) -> Result<Self, ScopeError> {
        let mut scopes = Scopes::new();
        let mut offset = 0usize;
        for part in list.split(' ') {
            if !part.is_empty() {
                check_scope(part, offset)?;
                scopes.insert(Scope(String::from(part)))?;
            }
            offset = offset.saturating_add(part.len()).saturating_add(1);
        }
        Ok(scopes)
    }

    /// Builds a set from strings, validating each one; the first error is returned.
    pub fn try_from_iter<I>(scopes: I) -> Result<Self, ScopeError>
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        let mut set = Scopes::new();
        for scope in scopes {
            set.insert(Scope::new(scope.as_ref())?)?;
        }
        Ok(set)
    }

    /// Adds `scope` at the end of the wire order. Returns `Ok(false)` if it was already
    /// present (nothing changes), `Ok(true)` if added, and [`ScopeError::TooLong`] (nothing
    /// changes) if the space-separated list would exceed [`MAX_SCOPES_LEN`].
    ///
    /// ```
    /// use lucca_auth::scope::{Scope, Scopes};
    ///
    /// let mut scopes = Scopes::new();
    /// assert_eq!(scopes.insert(Scope::new("a")?), Ok(true));
    /// assert_eq!(scopes.insert(Scope::new("a")?), Ok(false));
    /// assert_eq!(scopes.len(), 1);
    /// # Ok::<(), lucca_auth::scope::ScopeError>(())
    /// ```
    pub fn insert(&mut self, scope: Scope) -> Result<bool, ScopeError> {
        let position = match self.search(scope.as_str()) {
            Ok(_) => return Ok(false),
            Err(position) => position,
        };
        let separator = usize::from(!self.wire.is_empty());
        let len = self
            .wire_len
            .saturating_add(separator)
            .saturating_add(scope.len());
        if len > MAX_SCOPES_LEN {
            return Err(ScopeError::TooLong { len });
        }
        self.sorted.insert(position, self.wire.len());
        self.wire.push(scope);
        self.wire_len = len;
        Ok(true)
    }

    /// Binary search of `scope` in the sorted view: `Ok(i)` if present at sorted index `i`,
    /// `Err(i)` with the index where it would be inserted.
    fn search(&self, scope: &str) -> Result<usize, usize> {
        self.sorted.binary_search_by(|&i| {
            self.wire
                .get(i)
                .map_or(Ordering::Less, |s| s.as_str().cmp(scope))
        })
    }

    /// Whether `scope` is in the set.
    #[must_use]
    pub fn contains(&self, scope: &str) -> bool {
        self.search(scope).is_ok()
    }

    /// The number of distinct scopes.
    #[must_use]
    pub fn len(&self) -> usize {
        self.wire.len()
    }

    /// Whether the set is empty (a token request then carries no `scope` parameter).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.wire.is_empty()
    }

    /// The scopes in wire (insertion) order.
    pub fn iter(&self) -> core::slice::Iter<'_, Scope> {
        self.wire.iter()
    }

    /// The scopes in sorted order.
    pub fn iter_sorted(&self) -> impl Iterator<Item = &Scope> + '_ {
        self.sorted.iter().filter_map(|&i| self.wire.get(i))
    }

    /// The scopes of `self` that are not in `other`, in `self`'s wire order. Use it for
    /// "requested but not granted".
    ///
    /// ```
    /// use lucca_auth::scope::Scopes;
    ///
    /// let requested = Scopes::parse_space_separated("c a b")?;
    /// let granted = Scopes::parse_space_separated("b x")?;
    /// assert_eq!(requested.difference(&granted).to_space_separated(), "c a");
    /// # Ok::<(), lucca_auth::scope::ScopeError>(())
    /// ```
    #[must_use]
    pub fn difference(&self, other: &Scopes) -> Scopes {
        let mut result = Scopes::new();
        for scope in self.iter().filter(|s| !other.contains(s.as_str())) {
            // A subset of a valid set is never too long and has no duplicates.
            let _ = result.insert(scope.clone());
        }
        result
    }

    /// Whether every scope of `self` is in `other`.
    #[must_use]
    pub fn is_subset(&self, other: &Scopes) -> bool {
        self.iter().all(|s| other.contains(s.as_str()))
    }

    /// The length of [`to_space_separated`](Scopes::to_space_separated), in characters (and
    /// bytes), before form encoding.
    #[must_use]
    pub fn wire_len(&self) -> usize {
        self.wire_len
    }

    /// The scopes in wire order joined by single spaces: the `scope` parameter's value before
    /// form encoding.
    #[must_use]
    pub fn to_space_separated(&self) -> String {
        join(self.iter(), self.wire_len)
    }

    /// The sorted scopes joined by single spaces: a canonical key for caching a token per scope
    /// set (`"b a"` and `"a b a"` have the same key).
    #[must_use]
    pub fn cache_key(&self) -> String {
        join(self.iter_sorted(), self.wire_len)
    }
}

fn join<'s>(scopes: impl Iterator<Item = &'s Scope>, len: usize) -> String {
    let mut out = String::with_capacity(len);
    for (i, scope) in scopes.enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(scope.as_str());
    }
    out
}

impl fmt::Debug for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Scopes")
            .field(&DebugList(&self.wire))
            .finish()
    }
}

struct DebugList<'s>(&'s [Scope]);

impl fmt::Debug for DebugList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(Scope::as_str))
            .finish()
    }
}

/// The space-separated wire form, as [`Scopes::to_space_separated`].
impl fmt::Display for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, scope) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            f.write_str(scope.as_str())?;
        }
        Ok(())
    }
}

impl PartialEq for Scopes {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter_sorted().eq(other.iter_sorted())
    }
}

impl Eq for Scopes {}

impl Hash for Scopes {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_usize(self.len());
        for scope in self.iter_sorted() {
            scope.hash(state);
        }
    }
}

impl PartialOrd for Scopes {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Lexicographic order of the sorted sets.
impl Ord for Scopes {
    fn cmp(&self, other: &Self) -> Ordering {
        self.iter_sorted().cmp(other.iter_sorted())
    }
}

impl FromStr for Scopes {
    type Err = ScopeError;

    /// As [`Scopes::parse_space_separated`].
    fn from_str(s: &str) -> Result<Self, ScopeError> {
        Scopes::parse_space_separated(s)
    }
}

impl FromIterator<Scope> for Result<Scopes, ScopeError> {
    /// Collects scopes; [`ScopeError::TooLong`] if the list would exceed [`MAX_SCOPES_LEN`].
    fn from_iter<I: IntoIterator<Item = Scope>>(iter: I) -> Self {
        let mut set = Scopes::new();
        for scope in iter {
            set.insert(scope)?;
        }
        Ok(set)
    }
}

impl<'s> IntoIterator for &'s Scopes {
    type Item = &'s Scope;
    type IntoIter = core::slice::Iter<'s, Scope>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;
    use alloc::string::ToString;
    use alloc::vec;

    #[test]
    fn scope_validation_table() {
        // (input, expected)
        let cases: &[(&str, Result<(), ScopeError>)] = &[
            ("leaves.readwrite", Ok(())),
            ("leave-requests.readonly", Ok(())),
            ("!", Ok(())),
            ("#[]~{}|", Ok(())),
            ("urn:lucca:api/users?x=1&y", Ok(())),
            ("", Err(ScopeError::Empty)),
            (" ", Err(ScopeError::InvalidCharacter { position: 0 })),
            ("a b", Err(ScopeError::InvalidCharacter { position: 1 })),
            ("ab\"", Err(ScopeError::InvalidCharacter { position: 2 })),
            ("a\\b", Err(ScopeError::InvalidCharacter { position: 1 })),
            ("a\tb", Err(ScopeError::InvalidCharacter { position: 1 })),
            ("a\r\n", Err(ScopeError::InvalidCharacter { position: 1 })),
            ("\x7f", Err(ScopeError::InvalidCharacter { position: 0 })),
            ("é", Err(ScopeError::InvalidCharacter { position: 0 })),
        ];
        for (input, expected) in cases {
            let got = Scope::new(*input).map(|s| assert_eq!(s.as_str(), *input));
            assert_eq!(got, *expected, "{input:?}");
        }
    }

    #[test]
    fn every_byte_against_rfc_6749_nqchar() {
        for b in 0..=127u8 {
            let allowed = b == 0x21 || (0x23..=0x5B).contains(&b) || (0x5D..=0x7E).contains(&b);
            let s = char::from(b).to_string();
            assert_eq!(Scope::new(s).is_ok(), allowed, "byte {b:#04x}");
        }
    }

    #[test]
    fn parse_space_separated_table() {
        // (input, (wire order, cache key) or error)
        type Case = (
            &'static str,
            Result<(&'static str, &'static str), ScopeError>,
        );
        let cases: &[Case] = &[
            ("", Ok(("", ""))),
            ("   ", Ok(("", ""))),
            ("a", Ok(("a", "a"))),
            ("b a", Ok(("b a", "a b"))),
            ("  b   a  ", Ok(("b a", "a b"))),
            ("b a b a", Ok(("b a", "a b"))),
            ("c a b", Ok(("c a b", "a b c"))),
            ("a  b\t", Err(ScopeError::InvalidCharacter { position: 4 })),
            (
                "ok  \"bad\"",
                Err(ScopeError::InvalidCharacter { position: 4 }),
            ),
            (
                "a\u{a0}b",
                Err(ScopeError::InvalidCharacter { position: 1 }),
            ),
        ];
        for (input, expected) in cases {
            let got = Scopes::parse_space_separated(input)
                .map(|s| (s.to_space_separated(), s.cache_key()));
            let expected = expected.map(|(w, k)| (w.to_string(), k.to_string()));
            assert_eq!(got, expected, "{input:?}");
        }
    }

    #[test]
    fn length_cap_is_exactly_4000() -> Result<(), ScopeError> {
        // 1 scope of 4000 characters: allowed; 4001: refused.
        let max = "a".repeat(4000);
        assert_eq!(
            Scopes::try_from_iter([&max]).map(|s| s.wire_len()),
            Ok(4000)
        );
        let over = "a".repeat(4001);
        assert_eq!(
            Scopes::try_from_iter([&over]),
            Err(ScopeError::TooLong { len: 4001 })
        );
        // 2 scopes: 1999 + 1 + 2000 = 4000 allowed; one more character refused.
        let a = "a".repeat(1999);
        let b = "b".repeat(2000);
        let joined = format!("{a} {b}");
        assert_eq!(
            Scopes::parse_space_separated(&joined).map(|s| s.wire_len()),
            Ok(4000)
        );
        let joined = format!("{a} {b}b");
        assert_eq!(
            Scopes::parse_space_separated(&joined),
            Err(ScopeError::TooLong { len: 4001 })
        );
        // A refused insert leaves the set unchanged; duplicates do not count.
        let mut set = Scopes::try_from_iter([&a])?;
        assert_eq!(
            set.insert(Scope::new(format!("{b}b"))?),
            Err(ScopeError::TooLong { len: 4001 })
        );
        assert_eq!(set.len(), 1);
        assert_eq!(set.wire_len(), 1999);
        assert_eq!(set.insert(Scope::new(a)?), Ok(false));
        assert_eq!(set.wire_len(), 1999);
        Ok(())
    }

    #[test]
    fn equality_hash_and_order_use_the_sorted_set() -> Result<(), ScopeError> {
        use core::hash::BuildHasher;
        // A fixed, deterministic hasher (FNV-1a) so the test needs no std.
        #[derive(Default)]
        struct Fnv(u64);
        impl Hasher for Fnv {
            fn finish(&self) -> u64 {
                self.0
            }
            fn write(&mut self, bytes: &[u8]) {
                for &b in bytes {
                    self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
                }
            }
        }
        let build = core::hash::BuildHasherDefault::<Fnv>::default();

        let ab = Scopes::parse_space_separated("a b")?;
        let ba = Scopes::parse_space_separated("b a a")?;
        let abc = Scopes::parse_space_separated("c b a")?;
        let empty = Scopes::new();
        assert_eq!(ab, ba);
        assert_eq!(build.hash_one(&ab), build.hash_one(&ba));
        assert_eq!(ab.cache_key(), ba.cache_key());
        assert_ne!(ab, abc);
        assert_ne!(ab, empty);
        assert_eq!(ab.cmp(&ba), Ordering::Equal);
        assert_eq!(ab.cmp(&abc), Ordering::Less);
        assert_eq!(empty.cmp(&ab), Ordering::Less);
        assert_eq!(
            Scopes::parse_space_separated("b")?.cmp(&ab),
            Ordering::Greater
        );
        Ok(())
    }

    #[test]
    fn contains_difference_subset_table() -> Result<(), ScopeError> {
        // (self, other, self − other in self's order, self ⊆ other)
        let cases: &[(&str, &str, &str, bool)] = &[
            ("", "", "", true),
            ("a", "", "a", false),
            ("", "a", "", true),
            ("c a b", "b", "c a", false),
            ("c a b", "a b c d", "", true),
            ("x y", "y z", "x", false),
        ];
        for (left, right, diff, subset) in cases {
            let l = Scopes::parse_space_separated(left)?;
            let r = Scopes::parse_space_separated(right)?;
            let d = l.difference(&r);
            assert_eq!(d.to_space_separated(), *diff, "{left:?} - {right:?}");
            assert_eq!(d.wire_len(), diff.len());
            assert_eq!(l.is_subset(&r), *subset, "{left:?} <= {right:?}");
            for s in &l {
                assert!(l.contains(s.as_str()));
                assert_eq!(r.contains(s.as_str()), !d.contains(s.as_str()));
            }
        }
        Ok(())
    }

    #[test]
    fn iteration_orders() -> Result<(), ScopeError> {
        let s = Scopes::try_from_iter(["z", "m", "a", "m"])?;
        let wire: Vec<&str> = s.iter().map(Scope::as_str).collect();
        let sorted: Vec<&str> = s.iter_sorted().map(Scope::as_str).collect();
        assert_eq!(wire, vec!["z", "m", "a"]);
        assert_eq!(sorted, vec!["a", "m", "z"]);
        assert_eq!(s.iter_sorted().count(), 3);
        Ok(())
    }

    #[test]
    fn constructors_agree() {
        let from_strs = Scopes::try_from_iter(["a", "b"]);
        let collected: Result<Scopes, ScopeError> = ["a", "b"]
            .into_iter()
            .map(Scope::new)
            .collect::<Result<Vec<_>, _>>()
            .and_then(|v| v.into_iter().collect());
        let parsed: Result<Scopes, ScopeError> = "a b".parse();
        assert_eq!(from_strs, parsed);
        assert_eq!(collected, parsed);
        assert_eq!(Scopes::try_from_iter(["a", ""]), Err(ScopeError::Empty));
        assert_eq!(
            Scopes::try_from_iter(["a b"]),
            Err(ScopeError::InvalidCharacter { position: 1 })
        );
    }

    #[test]
    fn formatting() -> Result<(), ScopeError> {
        let s = Scopes::parse_space_separated("b a")?;
        assert_eq!(format!("{s:?}"), r#"Scopes(["b", "a"])"#);
        assert_eq!(format!("{s}"), "b a");
        assert_eq!(format!("{:?}", Scopes::new()), "Scopes([])");
        assert_eq!(format!("{}", Scopes::new()), "");
        let one = Scope::new("x.y")?;
        assert_eq!(format!("{one:?} {one}"), r#"Scope("x.y") x.y"#);
        Ok(())
    }

    #[test]
    fn error_display() {
        let cases = [
            (ScopeError::Empty, "empty scope"),
            (
                ScopeError::InvalidCharacter { position: 3 },
                "invalid character in scope at byte 3 (RFC 6749 section 3.3 allows visible \
                 ASCII except '\"' and '\\')",
            ),
            (
                ScopeError::TooLong { len: 4001 },
                "scope list too long: 4001 characters, at most 4000 allowed",
            ),
        ];
        for (error, expected) in cases {
            assert_eq!(error.to_string(), expected);
        }
    }
}
