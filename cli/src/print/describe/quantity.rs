//! Resource quantities as apimachinery's `resource.Quantity` parses, adds and prints them (canonical form),
//! enough for the sums and percentages describe shows.

/// How a quantity prints: decided by the suffix it was written with, kept through additions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    DecimalSi,
    BinarySi,
    DecimalExponent,
}

/// A quantity stored exactly in nano-units (Go rounds anything finer up to nanos too).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quantity {
    pub nanos: i128,
    pub format: Format,
}

const NANO: i128 = 1_000_000_000;

impl Quantity {
    /// The zero quantity (`resource.Quantity{}`), printed "0".
    pub fn zero() -> Self {
        Quantity {
            nanos: 0,
            format: Format::DecimalSi,
        }
    }

    /// Parses "250m", "1.5Gi", "2e3", "128974848"; `None` for text Go would reject.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        let (sign, rest) = match text.as_bytes().first() {
            Some(b'-') => (-1i128, &text[1..]),
            Some(b'+') => (1, &text[1..]),
            _ => (1, text),
        };
        let num_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let (num, suffix) = rest.split_at(num_end);
        if num.is_empty() || num == "." {
            return None;
        }
        let (int_part, frac_part) = match num.split_once('.') {
            Some((a, b)) => (a, b),
            None => (num, ""),
        };
        let (format, mult, exp10): (Format, i128, i32) = match suffix {
            "" => (Format::DecimalSi, 1, 0),
            "n" => (Format::DecimalSi, 1, -9),
            "u" => (Format::DecimalSi, 1, -6),
            "m" => (Format::DecimalSi, 1, -3),
            "k" => (Format::DecimalSi, 1, 3),
            "M" => (Format::DecimalSi, 1, 6),
            "G" => (Format::DecimalSi, 1, 9),
            "T" => (Format::DecimalSi, 1, 12),
            "P" => (Format::DecimalSi, 1, 15),
            "E" => (Format::DecimalSi, 1, 18),
            "Ki" => (Format::BinarySi, 1 << 10, 0),
            "Mi" => (Format::BinarySi, 1 << 20, 0),
            "Gi" => (Format::BinarySi, 1 << 30, 0),
            "Ti" => (Format::BinarySi, 1 << 40, 0),
            "Pi" => (Format::BinarySi, 1 << 50, 0),
            "Ei" => (Format::BinarySi, 1 << 60, 0),
            other => {
                let e = other.strip_prefix(['e', 'E'])?;
                let e: i32 = e.parse().ok()?;
                (Format::DecimalExponent, 1, e)
            }
        };
        // value = digits / 10^frac_len * mult * 10^exp10, expressed in nanos and rounded up like Go.
        let digits: String = format!("{int_part}{frac_part}");
        let digits: i128 = if digits.is_empty() {
            0
        } else {
            digits.parse().ok()?
        };
        let scale = exp10 + 9 - frac_part.len() as i32;
        let scaled = digits.checked_mul(mult)?;
        let nanos = if scale >= 0 {
            scaled.checked_mul(10i128.checked_pow(scale as u32)?)?
        } else {
            let div = 10i128.checked_pow((-scale) as u32)?;
            (scaled + div - 1) / div
        };
        Some(Quantity {
            nanos: sign * nanos,
            format,
        })
    }

    /// Adds `other`, keeping this quantity's format (Go's `Add`).
    pub fn add(&mut self, other: &Quantity) {
        self.nanos = self.nanos.saturating_add(other.nanos);
    }

    /// `Value()`: whole units, rounded up.
    pub fn value(&self) -> i128 {
        ceil_div(self.nanos, NANO)
    }

    /// `MilliValue()`: thousandths, rounded up.
    pub fn milli_value(&self) -> i128 {
        ceil_div(self.nanos, 1_000_000)
    }

    /// The canonical string (`Quantity.String()`).
    pub fn to_string_canonical(self) -> String {
        if self.nanos == 0 {
            return "0".to_string();
        }
        let mut format = self.format;
        if format == Format::BinarySi && (self.nanos.abs() < 1024 * NANO || self.nanos % NANO != 0)
        {
            format = Format::DecimalSi;
        }
        match format {
            Format::BinarySi => {
                let mut v = self.nanos / NANO;
                let mut exp = 0;
                while exp < 6 && v % 1024 == 0 && v != 0 {
                    v /= 1024;
                    exp += 1;
                }
                let suffix = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"][exp];
                format!("{v}{suffix}")
            }
            Format::DecimalSi | Format::DecimalExponent => {
                // The largest exponent (a multiple of 3, -9 to 18) that keeps the mantissa whole.
                let mut v = self.nanos;
                let mut exp = -9;
                while exp < 18 && v % 1000 == 0 {
                    v /= 1000;
                    exp += 3;
                }
                let suffix = if format == Format::DecimalExponent {
                    if exp == 0 {
                        String::new()
                    } else {
                        format!("e{exp}")
                    }
                } else {
                    match exp {
                        -9 => "n",
                        -6 => "u",
                        -3 => "m",
                        0 => "",
                        3 => "k",
                        6 => "M",
                        9 => "G",
                        12 => "T",
                        15 => "P",
                        _ => "E",
                    }
                    .to_string()
                };
                format!("{v}{suffix}")
            }
        }
    }
}

fn ceil_div(a: i128, b: i128) -> i128 {
    let q = a / b;
    if a % b != 0 && a > 0 {
        q + 1
    } else {
        q
    }
}

/// Canonical text of a quantity string as served; unparsable text is shown as it came.
pub fn canonical(text: &str) -> String {
    match Quantity::parse(text) {
        Some(q) => q.to_string_canonical(),
        None => text.to_string(),
    }
}

/// A quantity from a JSON value (quantities arrive as strings, sometimes as bare numbers).
pub fn from_json(v: &serde_json::Value) -> Option<Quantity> {
    match v {
        serde_json::Value::String(s) => Quantity::parse(s),
        serde_json::Value::Number(n) => Quantity::parse(&n.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_forms() {
        assert_eq!(canonical("100m"), "100m");
        assert_eq!(canonical("1000m"), "1");
        assert_eq!(canonical("0.5"), "500m");
        assert_eq!(canonical("2000"), "2k");
        assert_eq!(canonical("1536Mi"), "1536Mi");
        assert_eq!(canonical("1.5Gi"), "1536Mi");
        assert_eq!(canonical("1024Mi"), "1Gi");
        assert_eq!(canonical("93478772582"), "93478772582");
        assert_eq!(canonical("0"), "0");
    }

    #[test]
    fn sums_keep_first_format() {
        let mut a = Quantity::parse("256Mi").unwrap();
        a.add(&Quantity::parse("1Gi").unwrap());
        a.add(&Quantity::parse("1Gi").unwrap());
        assert_eq!(a.to_string_canonical(), "2304Mi");
        assert_eq!(
            Quantity::parse("7945892Ki").unwrap().value(),
            7945892 * 1024
        );
    }
}
