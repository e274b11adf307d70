//! QEMU versions, as schema documentation and `--oldest` give them.

use std::fmt;
use std::str::FromStr;

/// A QEMU version: `2.8`, `1.5.0`, `10.2`.
///
/// Each number is a `u16` (QEMU's are far smaller): the model keeps a
/// version on every definition, member, enum value and branch, and
/// `Option<Version>` fits in 8 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Version {
    /// Major version.
    pub major: u16,
    /// Minor version.
    pub minor: u16,
    /// Micro version (0 when not given).
    pub micro: u16,
}

impl Version {
    /// `major.minor.0`.
    pub const fn new(major: u16, minor: u16) -> Self {
        Version {
            major,
            minor,
            micro: 0,
        }
    }

    /// Reads a version at the start of `text`: `MAJOR.MINOR` or
    /// `MAJOR.MINOR.MICRO`, each a run of digits.  Returns it and the
    /// length read; text after it (`8.2.` at the end of a sentence, `2.4)`)
    /// is left alone.  A number that does not fit in a `u16` (or has more
    /// than 6 digits) is not read: `None` for the major or minor version,
    /// and the micro version is then left alone like other text after it.
    pub(crate) fn prefix(text: &str) -> Option<(Version, usize)> {
        fn number(text: &str) -> Option<(u16, usize)> {
            let len = text.bytes().take_while(u8::is_ascii_digit).count();
            if len == 0 || len > 6 {
                return None;
            }
            Some((text[..len].parse().ok()?, len))
        }
        let (major, mut len) = number(text)?;
        let rest = text[len..].strip_prefix('.')?;
        let (minor, n) = number(rest)?;
        len += 1 + n;
        let mut micro = 0;
        if let Some(rest) = text[len..].strip_prefix('.')
            && let Some((m, n)) = number(rest)
        {
            micro = m;
            len += 1 + n;
        }
        Some((
            Version {
                major,
                minor,
                micro,
            },
            len,
        ))
    }
}

impl fmt::Display for Version {
    /// `2.8` (the micro version only when it is not 0: `1.5.1`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)?;
        if self.micro != 0 {
            write!(f, ".{}", self.micro)?;
        }
        Ok(())
    }
}

/// A version that could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseVersionError(String);

impl fmt::Display for ParseVersionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "'{}' is not a QEMU version (MAJOR.MINOR or MAJOR.MINOR.MICRO)",
            self.0
        )
    }
}

impl std::error::Error for ParseVersionError {}

impl FromStr for Version {
    type Err = ParseVersionError;

    /// `4.2`, `4.2.0`, `10.2.1`, nothing else.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match Version::prefix(s) {
            Some((v, len)) if len == s.len() => Ok(v),
            _ => Err(ParseVersionError(s.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints() {
        assert_eq!("4.2".parse(), Ok(Version::new(4, 2)));
        assert_eq!(
            "1.5.1".parse(),
            Ok(Version {
                major: 1,
                minor: 5,
                micro: 1
            })
        );
        assert_eq!("10.2.0".parse(), Ok(Version::new(10, 2)));
        for bad in ["", "4", "4.", "4.2.", "v4.2", "4.2a", "4.-2", " 4.2"] {
            assert!(bad.parse::<Version>().is_err(), "{bad:?}");
        }
        assert_eq!(Version::new(10, 2).to_string(), "10.2");
        assert_eq!("1.5.1".parse::<Version>().unwrap().to_string(), "1.5.1");
        assert_eq!(
            "x".parse::<Version>().unwrap_err().to_string(),
            "'x' is not a QEMU version (MAJOR.MINOR or MAJOR.MINOR.MICRO)"
        );
    }

    #[test]
    fn orders_numerically() {
        let v = |s: &str| s.parse::<Version>().unwrap();
        assert!(v("10.0") > v("9.2"));
        assert!(v("2.10") > v("2.9"));
        assert!(v("1.5.1") > v("1.5"));
        assert!(v("4.2") < v("4.2.1"));
    }

    #[test]
    fn prefix_stops_where_the_version_does() {
        assert_eq!(Version::prefix("8.2."), Some((Version::new(8, 2), 3)));
        assert_eq!(Version::prefix("2.4)"), Some((Version::new(2, 4), 3)));
        assert_eq!(Version::prefix("2.4 (x)"), Some((Version::new(2, 4), 3)));
        assert_eq!(Version::prefix("10.1;"), Some((Version::new(10, 1), 4)));
        assert_eq!(Version::prefix("1234567.1"), None);
        assert_eq!(Version::prefix("2"), None);
    }

    #[test]
    fn prefix_reads_only_numbers_that_fit_in_u16() {
        assert_eq!(Version::prefix("65536.1"), None);
        assert_eq!(Version::prefix("1.65536"), None);
        assert_eq!(
            Version::prefix("65535.1"),
            Some((Version::new(65535, 1), 7))
        );
        assert_eq!(
            Version::prefix("1.2.65535"),
            Some((
                Version {
                    major: 1,
                    minor: 2,
                    micro: 65535
                },
                9
            ))
        );
        // A micro version too large is text after the version, as one of
        // more than 6 digits is.
        assert_eq!(Version::prefix("1.2.65536"), Some((Version::new(1, 2), 3)));
        assert_eq!(
            Version::prefix("1.2.1234567"),
            Some((Version::new(1, 2), 3))
        );
        assert!("65536.1".parse::<Version>().is_err());
        assert!("1.2.65536".parse::<Version>().is_err());
        assert_eq!("65535.1".parse(), Ok(Version::new(65535, 1)));
    }
}
