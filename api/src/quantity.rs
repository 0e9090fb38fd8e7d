//! Kubernetes resource quantities ("500m", "2Gi", "129e6") and the resource totals the scheduler compares.

use serde_json::Value;

/// Parse a Kubernetes quantity ("500m", "1", "1.5", "2Gi", "128974848", "129e6", "123Mi", "1k", "1M",
/// "1Ki") into milli-units; None for malformed input or values too large to represent.
///
/// Like `Quantity.MilliValue()`, a fraction of a milli-unit rounds away from zero ("0.1m" is 1).
pub fn parse_milli(q: &str) -> Option<i128> {
    let q = q.trim();
    let (negative, rest) = match q.as_bytes().first()? {
        b'-' => (true, &q[1..]),
        b'+' => (false, &q[1..]),
        _ => (false, q),
    };
    // The number is digits with at most one '.', and at least one digit overall.
    let num_len = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(rest.len());
    let (number, suffix) = rest.split_at(num_len);
    let (int_part, frac_part) = match number.split_once('.') {
        Some((i, f)) => (i, f),
        None => (number, ""),
    };
    if int_part.is_empty() && frac_part.is_empty() {
        return None;
    }
    if frac_part.contains('.') {
        return None;
    }
    // mantissa / 10^frac_digits is the number; leading zeros are harmless, but very long mantissas
    // overflow i128 and are rejected rather than silently truncated.
    let mut mantissa: i128 = 0;
    for c in int_part.chars().chain(frac_part.chars()) {
        let digit = i128::from(c.to_digit(10)?);
        mantissa = mantissa.checked_mul(10)?.checked_add(digit)?;
    }
    let (pow10, pow2) = suffix_scale(suffix)?;
    // Milli-units add three decimal places.
    let exp10 = pow10
        .checked_add(3)?
        .checked_sub(i32::try_from(frac_part.len()).ok()?)?;
    let mut value = mantissa.checked_mul(pow2_i128(pow2)?)?;
    if exp10 >= 0 {
        value = value.checked_mul(pow10_i128(exp10)?)?;
    } else {
        // Divide, rounding up: a positive remainder means we owe one more milli-unit.
        value = match pow10_i128(-exp10) {
            Some(div) => value / div + i128::from(value % div != 0),
            // The divisor exceeds any i128 mantissa: the quotient is 0 with a remainder unless 0.
            None => i128::from(value != 0),
        };
    }
    Some(if negative { -value } else { value })
}

/// The (power of ten, power of two) a suffix multiplies by; None for an unknown suffix.
fn suffix_scale(suffix: &str) -> Option<(i32, u32)> {
    let scale = match suffix {
        "" => (0, 0),
        "n" => (-9, 0),
        "u" => (-6, 0),
        "m" => (-3, 0),
        "k" => (3, 0),
        "M" => (6, 0),
        "G" => (9, 0),
        "T" => (12, 0),
        "P" => (15, 0),
        "E" => (18, 0),
        "Ki" => (0, 10),
        "Mi" => (0, 20),
        "Gi" => (0, 30),
        "Ti" => (0, 40),
        "Pi" => (0, 50),
        "Ei" => (0, 60),
        _ => {
            // A decimal exponent: "e" or "E" then a signed integer ("129e6", "1E-3").
            let exp = suffix
                .strip_prefix('e')
                .or_else(|| suffix.strip_prefix('E'))?;
            let digits = exp.strip_prefix(['+', '-']).unwrap_or(exp);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) || digits.len() > 6
            {
                return None;
            }
            (exp.parse::<i32>().ok()?, 0)
        }
    };
    Some(scale)
}

fn pow10_i128(exp: i32) -> Option<i128> {
    10i128.checked_pow(u32::try_from(exp).ok()?)
}

fn pow2_i128(exp: u32) -> Option<i128> {
    1i128.checked_shl(exp)
}

/// What a pod or node asks for or offers, in the units the scheduler compares.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Resources {
    pub milli_cpu: i64,
    /// Bytes.
    pub memory: i64,
    /// Bytes.
    pub ephemeral_storage: i64,
    pub pods: i64,
}

/// kube-scheduler's stand-in CPU request (100m) for a container that names none, used when scoring.
pub const DEFAULT_MILLI_CPU_REQUEST: i64 = 100;
/// kube-scheduler's stand-in memory request (200Mi) for a container that names none, used when scoring.
pub const DEFAULT_MEMORY_REQUEST: i64 = 200 * 1024 * 1024;

/// Whole units from milli-units, rounding up as `Quantity.Value()` does, saturating at the i64 range.
fn whole(milli: i128) -> i64 {
    // Division truncates towards zero, so a positive remainder owes one more unit; written this way
    // rather than (milli + 999) / 1000 so that values near i128::MAX cannot overflow.
    saturate(milli / 1000 + i128::from(milli % 1000 > 0))
}

fn saturate(v: i128) -> i64 {
    i64::try_from(v).unwrap_or(if v < 0 { i64::MIN } else { i64::MAX })
}

impl Resources {
    /// From a resource list JSON object (`{"cpu": "500m", "memory": "1Gi", "pods": "110",
    /// "ephemeral-storage": "10Gi"}`). Malformed or missing entries count as zero; numbers are accepted
    /// as well as strings, since clients sometimes send `"pods": 110`.
    pub fn from_list(list: Option<&Value>) -> Resources {
        let get = |name: &str| -> Option<i128> {
            match list?.get(name)? {
                Value::String(s) => parse_milli(s),
                Value::Number(n) => parse_milli(&n.to_string()),
                _ => None,
            }
        };
        Resources {
            milli_cpu: get("cpu").map(saturate).unwrap_or(0),
            memory: get("memory").map(whole).unwrap_or(0),
            ephemeral_storage: get("ephemeral-storage").map(whole).unwrap_or(0),
            pods: get("pods").map(whole).unwrap_or(0),
        }
    }

    /// A pod's effective request as kube-scheduler computes it (`computePodResourceRequest`): the sum
    /// over containers, maxed with each init container (sidecar init containers with restartPolicy
    /// Always add to the sum and to every later init container's peak), plus spec.overhead; `pods` is 1.
    /// Reads `requests` only: the API server copies limits into missing requests when a pod is created.
    pub fn of_pod(pod: &Value) -> Resources {
        pod_requests(pod, None)
    }

    /// The request kube-scheduler's scoring uses (`NonZeroRequested`): like [`Resources::of_pod`], but a
    /// container that names no cpu (memory) request counts as 100m (200Mi), so that best-effort pods
    /// still spread. Only `milli_cpu` and `memory` get stand-ins.
    pub fn of_pod_non_zero(pod: &Value) -> Resources {
        pod_requests(
            pod,
            Some((DEFAULT_MILLI_CPU_REQUEST, DEFAULT_MEMORY_REQUEST)),
        )
    }

    pub fn add(&mut self, other: &Resources) {
        self.milli_cpu = self.milli_cpu.saturating_add(other.milli_cpu);
        self.memory = self.memory.saturating_add(other.memory);
        self.ephemeral_storage = self
            .ephemeral_storage
            .saturating_add(other.ephemeral_storage);
        self.pods = self.pods.saturating_add(other.pods);
    }

    /// Takes back what [`Resources::add`] added (exactly, unless the sum saturated).
    pub fn sub(&mut self, other: &Resources) {
        self.milli_cpu = self.milli_cpu.saturating_sub(other.milli_cpu);
        self.memory = self.memory.saturating_sub(other.memory);
        self.ephemeral_storage = self
            .ephemeral_storage
            .saturating_sub(other.ephemeral_storage);
        self.pods = self.pods.saturating_sub(other.pods);
    }

    /// Each field the larger of the two.
    fn max_with(&mut self, other: &Resources) {
        self.milli_cpu = self.milli_cpu.max(other.milli_cpu);
        self.memory = self.memory.max(other.memory);
        self.ephemeral_storage = self.ephemeral_storage.max(other.ephemeral_storage);
        self.pods = self.pods.max(other.pods);
    }
}

/// One container's requests, with stand-ins for missing cpu/memory when `defaults` is given.
fn container_requests(container: &Value, defaults: Option<(i64, i64)>) -> Resources {
    let requests = container.pointer("/resources/requests");
    let mut r = Resources::from_list(requests);
    if let Some((cpu, memory)) = defaults {
        let has = |name: &str| requests.and_then(|l| l.get(name)).is_some();
        if !has("cpu") {
            r.milli_cpu = cpu;
        }
        if !has("memory") {
            r.memory = memory;
        }
    }
    r
}

fn pod_requests(pod: &Value, defaults: Option<(i64, i64)>) -> Resources {
    let list = |path: &str| {
        pod.pointer(path)
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    };
    let mut total = Resources::default();
    for c in list("/spec/containers") {
        total.add(&container_requests(c, defaults));
    }
    // Sidecars run from their start until the pod ends, so they add to the steady state and sit under
    // every init container that starts after them.
    let mut sidecars = Resources::default();
    let mut init_peak = Resources::default();
    for c in list("/spec/initContainers") {
        let req = container_requests(c, defaults);
        let peak = if c.get("restartPolicy").and_then(Value::as_str) == Some("Always") {
            total.add(&req);
            sidecars.add(&req);
            sidecars
        } else {
            let mut p = req;
            p.add(&sidecars);
            p
        };
        init_peak.max_with(&peak);
    }
    total.max_with(&init_peak);
    total.add(&Resources::from_list(pod.pointer("/spec/overhead")));
    total.pods = 1;
    total
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_suffixes_and_exponents() {
        let cases: &[(&str, i128)] = &[
            ("500m", 500),
            ("1", 1000),
            ("1.5", 1500),
            ("2Gi", 2 * 1024 * 1024 * 1024 * 1000),
            ("128974848", 128_974_848_000),
            ("129e6", 129_000_000_000),
            ("129E6", 129_000_000_000),
            ("123Mi", 123 * 1024 * 1024 * 1000),
            ("1k", 1_000_000),
            ("1M", 1_000_000_000),
            ("1Ki", 1_024_000),
            ("100n", 1),
            ("0.1m", 1),
            ("1E", 1_000_000_000_000_000_000_000),
            ("1e-3", 1),
            (".5", 500),
            ("5.", 5000),
            ("-1", -1000),
            ("+2", 2000),
            ("0", 0),
            ("1e-50", 1),
        ];
        for (q, want) in cases {
            assert_eq!(parse_milli(q), Some(*want), "{q}");
        }
    }

    #[test]
    fn rejects_malformed() {
        for q in [
            "",
            "m",
            "Gi",
            "1.2.3",
            "1x",
            "1 Gi",
            "1e",
            "1e+",
            "1ki",
            "abc",
            "--1",
            "1e9999999",
            "1Eii",
        ] {
            assert_eq!(parse_milli(q), None, "{q:?}");
        }
        assert_eq!(
            parse_milli("99999999999999999999999999999999999999999999"),
            None
        );
        let huge = json!({"memory": "170141183460469231731687303715884105"});
        assert_eq!(Resources::from_list(Some(&huge)).memory, i64::MAX);
    }

    #[test]
    fn from_list_reads_units() {
        let l = json!({"cpu": "500m", "memory": "1Gi", "pods": "110", "ephemeral-storage": "10Gi"});
        let r = Resources::from_list(Some(&l));
        assert_eq!(
            r,
            Resources {
                milli_cpu: 500,
                memory: 1 << 30,
                ephemeral_storage: 10 << 30,
                pods: 110
            }
        );
        assert_eq!(Resources::from_list(None), Resources::default());
        let odd = json!({"cpu": 2, "memory": "bogus", "pods": "1.5"});
        assert_eq!(
            Resources::from_list(Some(&odd)),
            Resources {
                milli_cpu: 2000,
                pods: 2,
                ..Default::default()
            }
        );
    }

    #[test]
    fn pod_request_sums_and_maxes_init_containers() {
        let pod = json!({"spec": {
            "containers": [
                {"resources": {"requests": {"cpu": "100m", "memory": "100Mi"}}},
                {"resources": {"requests": {"cpu": "200m"}}}
            ],
            "initContainers": [
                {"resources": {"requests": {"cpu": "1", "memory": "50Mi"}}}
            ],
            "overhead": {"cpu": "10m"}
        }});
        let r = Resources::of_pod(&pod);
        assert_eq!(
            r,
            Resources {
                milli_cpu: 1010,
                memory: 100 << 20,
                ephemeral_storage: 0,
                pods: 1
            }
        );
    }

    #[test]
    fn sidecars_add_to_sum_and_later_init_peaks() {
        let pod = json!({"spec": {
            "containers": [{"resources": {"requests": {"cpu": "100m"}}}],
            "initContainers": [
                {"restartPolicy": "Always", "resources": {"requests": {"cpu": "300m"}}},
                {"resources": {"requests": {"cpu": "500m"}}}
            ]
        }});
        // Steady state 100m + 300m; the second init container peaks at 300m + 500m.
        assert_eq!(Resources::of_pod(&pod).milli_cpu, 800);
    }

    #[test]
    fn non_zero_uses_stand_ins_for_missing_requests() {
        let pod = json!({"spec": {"containers": [
            {},
            {"resources": {"requests": {"cpu": "0", "memory": "1Gi"}}}
        ]}});
        let r = Resources::of_pod_non_zero(&pod);
        assert_eq!(r.milli_cpu, 100);
        assert_eq!(r.memory, DEFAULT_MEMORY_REQUEST + (1 << 30));
        assert_eq!(Resources::of_pod(&pod).milli_cpu, 0);
        assert_eq!(
            Resources::of_pod(&json!(null)),
            Resources {
                pods: 1,
                ..Default::default()
            }
        );
    }
}
