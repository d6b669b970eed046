//! MapLibre style expressions, the subset frontmap evaluates: enough for data-driven colours, zoom stops
//! and filters, so one style file drives the static renderer, the tiles and the web viewer.
//!
//! Parsing turns JSON into an [`Expr`] tree once, with a precise error; evaluation never fails: a value of
//! the wrong type evaluates to `Null`, and the caller falls back to the property's default (as MapLibre does).

use serde_json::Value;

/// An RGBA colour, straight (not premultiplied) alpha, components in 0..=1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rgba {
    pub r: f32,
    pub g: f32,
    pub b: f32,
    pub a: f32,
}

impl Rgba {
    /// Default ink, as MapLibre's default colours.
    pub const BLACK: Rgba = Rgba { r: 0.0, g: 0.0, b: 0.0, a: 1.0 };
    /// Opaque white.
    pub const WHITE: Rgba = Rgba { r: 1.0, g: 1.0, b: 1.0, a: 1.0 };
    /// Nothing drawn (default halo).
    pub const TRANSPARENT: Rgba = Rgba { r: 0.0, g: 0.0, b: 0.0, a: 0.0 };

    /// A colour from 8-bit components and an alpha in 0..=1.
    pub fn rgb8(r: u8, g: u8, b: u8, a: f32) -> Rgba {
        Rgba { r: f32::from(r) / 255.0, g: f32::from(g) / 255.0, b: f32::from(b) / 255.0, a }
    }

    /// The same colour with its alpha multiplied by `o` (a layer's opacity).
    pub fn with_opacity(self, o: f32) -> Rgba {
        Rgba { a: (self.a * o.clamp(0.0, 1.0)).clamp(0.0, 1.0), ..self }
    }

    /// Parse a CSS colour as the MapLibre spec allows: `#rgb`, `#rgba`, `#rrggbb`, `#rrggbbaa`,
    /// `rgb()`, `rgba()`, `hsl()`, `hsla()` and the common named colours.
    pub fn parse(s: &str) -> Option<Rgba> {
        let s = s.trim().to_ascii_lowercase();
        if let Some(hex) = s.strip_prefix('#') {
            let digits: Vec<u8> =
                hex.chars().map(|c| c.to_digit(16).and_then(|d| u8::try_from(d).ok())).collect::<Option<_>>()?;
            let (r, g, b, a) = match digits.len() {
                3 => (digits[0] * 17, digits[1] * 17, digits[2] * 17, 255),
                4 => (digits[0] * 17, digits[1] * 17, digits[2] * 17, digits[3] * 17),
                6 => (digits[0] * 16 + digits[1], digits[2] * 16 + digits[3], digits[4] * 16 + digits[5], 255),
                8 => (
                    digits[0] * 16 + digits[1],
                    digits[2] * 16 + digits[3],
                    digits[4] * 16 + digits[5],
                    digits[6] * 16 + digits[7],
                ),
                _ => return None,
            };
            return Some(Rgba::rgb8(r, g, b, f32::from(a) / 255.0));
        }
        if let Some((func, rest)) = s.split_once('(') {
            let args = rest.strip_suffix(')')?;
            let parts: Vec<&str> = args.split(',').map(str::trim).collect();
            let num = |p: &str| -> Option<f32> {
                match p.strip_suffix('%') {
                    Some(pc) => pc.trim().parse::<f32>().ok().map(|v| v / 100.0),
                    None => p.parse::<f32>().ok(),
                }
            };
            let alpha = |i: usize| -> Option<f32> { parts.get(i).map_or(Some(1.0), |p| num(p)) };
            return match (func.trim(), parts.len()) {
                ("rgb" | "rgba", 3 | 4) => {
                    let c = |i: usize| -> Option<f32> {
                        let p = parts[i];
                        if p.ends_with('%') { num(p) } else { num(p).map(|v| v / 255.0) }
                    };
                    Some(Rgba {
                        r: c(0)?.clamp(0.0, 1.0),
                        g: c(1)?.clamp(0.0, 1.0),
                        b: c(2)?.clamp(0.0, 1.0),
                        a: alpha(3)?,
                    })
                }
                ("hsl" | "hsla", 3 | 4) => {
                    let h = parts[0].parse::<f32>().ok()?;
                    let (sat, l) = (num(parts[1])?, num(parts[2])?);
                    let (r, g, b) = hsl_to_rgb(h, sat, l);
                    Some(Rgba { r, g, b, a: alpha(3)? })
                }
                _ => None,
            };
        }
        let named = match s.as_str() {
            "black" => (0, 0, 0),
            "white" => (255, 255, 255),
            "red" => (255, 0, 0),
            "green" => (0, 128, 0),
            "blue" => (0, 0, 255),
            "yellow" => (255, 255, 0),
            "orange" => (255, 165, 0),
            "gray" | "grey" => (128, 128, 128),
            "navy" => (0, 0, 128),
            "maroon" => (128, 0, 0),
            "purple" => (128, 0, 128),
            "transparent" => return Some(Rgba::TRANSPARENT),
            _ => return None,
        };
        Some(Rgba::rgb8(named.0, named.1, named.2, 1.0))
    }

    /// `#rrggbb` (alpha dropped): for peers' styles and legends.
    pub fn to_hex(self) -> String {
        let c = |v: f32| (v.clamp(0.0, 1.0) * 255.0).round() as u8;
        format!("#{:02x}{:02x}{:02x}", c(self.r), c(self.g), c(self.b))
    }

    /// The tiny-skia colour.
    pub fn to_skia(self) -> tiny_skia::Color {
        tiny_skia::Color::from_rgba(
            self.r.clamp(0.0, 1.0),
            self.g.clamp(0.0, 1.0),
            self.b.clamp(0.0, 1.0),
            self.a.clamp(0.0, 1.0),
        )
        .unwrap_or(tiny_skia::Color::BLACK)
    }

    fn lerp(self, o: Rgba, t: f32) -> Rgba {
        Rgba {
            r: self.r + (o.r - self.r) * t,
            g: self.g + (o.g - self.g) * t,
            b: self.b + (o.b - self.b) * t,
            a: self.a + (o.a - self.a) * t,
        }
    }
}

fn hsl_to_rgb(h: f32, s: f32, l: f32) -> (f32, f32, f32) {
    let h = h.rem_euclid(360.0) / 360.0;
    let q = if l < 0.5 { l * (1.0 + s) } else { l + s - l * s };
    let p = 2.0 * l - q;
    let f = |t: f32| {
        let t = t.rem_euclid(1.0);
        if t < 1.0 / 6.0 {
            p + (q - p) * 6.0 * t
        } else if t < 0.5 {
            q
        } else if t < 2.0 / 3.0 {
            p + (q - p) * (2.0 / 3.0 - t) * 6.0
        } else {
            p
        }
    };
    (f(h + 1.0 / 3.0), f(h), f(h - 1.0 / 3.0))
}

/// A value an expression yields.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    Color(Rgba),
    Arr(Vec<Val>),
}

impl Val {
    /// From JSON (objects become `Null`: no expression here yields one).
    pub fn from_json(v: &Value) -> Val {
        match v {
            Value::Null | Value::Object(_) => Val::Null,
            Value::Bool(b) => Val::Bool(*b),
            Value::Number(n) => n.as_f64().map_or(Val::Null, Val::Num),
            Value::String(s) => Val::Str(s.clone()),
            Value::Array(a) => Val::Arr(a.iter().map(Val::from_json).collect()),
        }
    }

    /// A finite number, or `None` (the caller falls back to the default).
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Val::Num(n) if n.is_finite() => Some(*n),
            _ => None,
        }
    }

    /// A string, or `None`.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Val::Str(s) => Some(s),
            _ => None,
        }
    }

    /// A boolean, or `None`.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Val::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// A colour, from a colour value or a colour string.
    pub fn as_color(&self) -> Option<Rgba> {
        match self {
            Val::Color(c) => Some(*c),
            Val::Str(s) => Rgba::parse(s),
            _ => None,
        }
    }

    /// The string form MapLibre's `to-string` gives.
    pub fn to_text(&self) -> String {
        match self {
            Val::Null => String::new(),
            Val::Bool(b) => b.to_string(),
            Val::Num(n) if n.fract() == 0.0 && n.abs() < 1e15 => format!("{}", *n as i64),
            Val::Num(n) => n.to_string(),
            Val::Str(s) => s.clone(),
            Val::Color(c) => {
                format!("rgba({},{},{},{})", (c.r * 255.0).round(), (c.g * 255.0).round(), (c.b * 255.0).round(), c.a)
            }
            Val::Arr(a) => a.iter().map(Val::to_text).collect::<Vec<_>>().join(","),
        }
    }

    fn truthy(&self) -> bool {
        matches!(self, Val::Bool(true))
    }
}

/// Comparison operators.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cmp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// How `interpolate` blends between stops.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Interp {
    Linear,
    Exponential(f64),
}

/// A parsed expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Lit(Val),
    Get(String),
    Has(String),
    Zoom,
    GeometryType,
    Id,
    Compare(Cmp, Box<Expr>, Box<Expr>),
    All(Vec<Expr>),
    Any(Vec<Expr>),
    Not(Box<Expr>),
    In(Box<Expr>, Box<Expr>),
    Match { input: Box<Expr>, arms: Vec<(Vec<Val>, Expr)>, default: Box<Expr> },
    Case { arms: Vec<(Expr, Expr)>, default: Box<Expr> },
    Coalesce(Vec<Expr>),
    Concat(Vec<Expr>),
    ToString(Box<Expr>),
    ToNumber(Vec<Expr>),
    Upcase(Box<Expr>),
    Downcase(Box<Expr>),
    Interpolate { interp: Interp, input: Box<Expr>, stops: Vec<(f64, Expr)> },
    Step { input: Box<Expr>, base: Box<Expr>, stops: Vec<(f64, Expr)> },
    Arith(char, Vec<Expr>),
}

/// What an expression can see of a feature.
pub struct Ctx<'a> {
    pub props: &'a dyn super::source::Properties,
    pub id: Option<&'a str>,
    pub geometry_type: &'a str,
    pub zoom: f64,
}

/// Operators recognised at the head of an array; anything else in a property that takes an array is a
/// literal array.
const OPERATORS: &[&str] = &[
    "literal",
    "get",
    "has",
    "!has",
    "zoom",
    "geometry-type",
    "id",
    "==",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "all",
    "any",
    "none",
    "!",
    "in",
    "!in",
    "match",
    "case",
    "coalesce",
    "concat",
    "to-string",
    "to-number",
    "upcase",
    "downcase",
    "interpolate",
    "step",
    "+",
    "-",
    "*",
    "/",
    "%",
    "to-color",
    "string",
    "number",
    "boolean",
];

/// Whether a JSON array is an expression (its head names an operator).
pub fn is_expression(v: &Value) -> bool {
    matches!(v, Value::Array(a) if a.first().and_then(Value::as_str).is_some_and(|h| OPERATORS.contains(&h)))
}

/// Parse a property value: a literal, an expression, or a legacy function (`{"stops": …}`).
pub fn parse_value(v: &Value) -> Result<Expr, String> {
    match v {
        Value::Array(_) if is_expression(v) => parse(v),
        Value::Array(a) => match a.first() {
            Some(Value::String(head)) if a.iter().all(|x| x.is_string()) && !head.is_empty() => {
                Ok(Expr::Lit(Val::from_json(v)))
            }
            Some(Value::String(head)) => Err(format!("unknown expression operator {head:?}")),
            _ => Ok(Expr::Lit(Val::from_json(v))),
        },
        Value::Object(o) if o.contains_key("stops") => parse_function(o),
        Value::Object(_) => {
            Err("an object is not a value (expected a literal, an expression or {\"stops\": …})".into())
        }
        Value::String(s) if s.contains('{') => parse_token_string(s),
        Value::String(s) => Ok(Expr::Lit(
            Rgba::parse(s).filter(|_| looks_like_color(s)).map_or_else(|| Val::Str(s.clone()), Val::Color),
        )),
        _ => Ok(Expr::Lit(Val::from_json(v))),
    }
}

fn looks_like_color(s: &str) -> bool {
    s.starts_with('#') || s.starts_with("rgb") || s.starts_with("hsl")
}

/// `"{name}"`-style token strings (legacy `text-field`).
fn parse_token_string(s: &str) -> Result<Expr, String> {
    let mut parts = Vec::new();
    let mut rest = s;
    while let Some(open) = rest.find('{') {
        if open > 0 {
            parts.push(Expr::Lit(Val::Str(rest[..open].to_string())));
        }
        let close = rest[open..].find('}').ok_or_else(|| format!("unclosed {{ in {s:?}"))? + open;
        parts.push(Expr::ToString(Box::new(Expr::Get(rest[open + 1..close].to_string()))));
        rest = &rest[close + 1..];
    }
    if !rest.is_empty() {
        parts.push(Expr::Lit(Val::Str(rest.to_string())));
    }
    Ok(if parts.len() == 1 { parts.remove(0) } else { Expr::Concat(parts) })
}

/// Legacy functions: `{"stops": [[z, v]…], "base": b}` (zoom), or with `"property"` (data-driven;
/// `"type"`: `exponential`, `interval` or `categorical`).
fn parse_function(o: &serde_json::Map<String, Value>) -> Result<Expr, String> {
    let stops = o.get("stops").and_then(Value::as_array).ok_or("\"stops\" must be an array")?;
    let base = o.get("base").and_then(Value::as_f64).unwrap_or(1.0);
    let input = match o.get("property").and_then(Value::as_str) {
        Some(p) => Expr::Get(p.to_string()),
        None => Expr::Zoom,
    };
    let default = match o.get("default") {
        Some(d) => parse_value(d)?,
        None => Expr::Lit(Val::Null),
    };
    let kind = o.get("type").and_then(Value::as_str).unwrap_or("exponential");
    let mut pairs = Vec::new();
    for s in stops {
        let pair = s.as_array().filter(|p| p.len() == 2).ok_or("each stop must be [input, output]")?;
        pairs.push((pair[0].clone(), parse_value(&pair[1])?));
    }
    match kind {
        "categorical" => Ok(Expr::Match {
            input: Box::new(input),
            arms: pairs.into_iter().map(|(k, v)| (vec![Val::from_json(&k)], v)).collect(),
            default: Box::new(default),
        }),
        "exponential" | "interval" => {
            let mut num = Vec::new();
            for (k, v) in pairs {
                num.push((k.as_f64().ok_or("stop inputs must be numbers")?, v));
            }
            if num.is_empty() {
                return Err("a function needs at least one stop".into());
            }
            if num.windows(2).any(|w| w[0].0 >= w[1].0) {
                return Err("stop inputs must increase".into());
            }
            if kind == "interval" {
                let first = num.remove(0).1;
                Ok(Expr::Step { input: Box::new(input), base: Box::new(first), stops: num })
            } else {
                let interp = if base == 1.0 { Interp::Linear } else { Interp::Exponential(base) };
                Ok(Expr::Interpolate { interp, input: Box::new(input), stops: num })
            }
        }
        other => Err(format!("function type {other:?} is not supported (exponential, interval, categorical)")),
    }
}

fn arg<'a>(a: &'a [Value], i: usize, op: &str) -> Result<&'a Value, String> {
    a.get(i).ok_or_else(|| format!("{op:?} expects at least {i} arguments"))
}

fn boxed(v: &Value) -> Result<Box<Expr>, String> {
    parse_value(v).map(Box::new)
}

/// Parse an expression (or a legacy filter such as `["==", "kind", "town"]`).
pub fn parse(v: &Value) -> Result<Expr, String> {
    let Value::Array(a) = v else { return parse_value(v) };
    let Some(op) = a.first().and_then(Value::as_str) else {
        return Err(format!("an expression must start with an operator name, got {}", short(v)));
    };
    let args = &a[1..];
    // Legacy filter syntax: the key is a bare string in second position.
    let legacy_key = |i: usize| -> Option<Expr> {
        match args.get(i)? {
            Value::String(k) if k == "$type" => Some(Expr::GeometryType),
            Value::String(k) if k == "$id" => Some(Expr::Id),
            Value::String(k) => Some(Expr::Get(k.clone())),
            _ => None,
        }
    };
    Ok(match op {
        "literal" => Expr::Lit(Val::from_json(arg(args, 0, op)?)),
        "get" => Expr::Get(arg(args, 0, op)?.as_str().ok_or("\"get\" takes a property name")?.to_string()),
        "has" => Expr::Has(arg(args, 0, op)?.as_str().ok_or("\"has\" takes a property name")?.to_string()),
        "!has" => Expr::Not(Box::new(Expr::Has(
            arg(args, 0, op)?.as_str().ok_or("\"!has\" takes a property name")?.to_string(),
        ))),
        "zoom" => Expr::Zoom,
        "geometry-type" => Expr::GeometryType,
        "id" => Expr::Id,
        "==" | "!=" | "<" | "<=" | ">" | ">=" => {
            let cmp = match op {
                "==" => Cmp::Eq,
                "!=" => Cmp::Ne,
                "<" => Cmp::Lt,
                "<=" => Cmp::Le,
                ">" => Cmp::Gt,
                _ => Cmp::Ge,
            };
            let lhs = match legacy_key(0) {
                Some(k) if args.len() == 2 && !is_expression(&args[0]) => k,
                _ => parse_value(arg(args, 0, op)?)?,
            };
            let rhs = match arg(args, 1, op)? {
                Value::String(s) => Expr::Lit(Val::Str(s.clone())),
                other => parse_value(other)?,
            };
            Expr::Compare(cmp, Box::new(lhs), Box::new(rhs))
        }
        "all" => Expr::All(args.iter().map(parse).collect::<Result<_, _>>()?),
        "any" => Expr::Any(args.iter().map(parse).collect::<Result<_, _>>()?),
        "none" => Expr::Not(Box::new(Expr::Any(args.iter().map(parse).collect::<Result<_, _>>()?))),
        "!" => Expr::Not(Box::new(parse(arg(args, 0, op)?)?)),
        "in" | "!in" => {
            // MapLibre's rule: legacy when the key is a bare string and the next argument is no array.
            let legacy = args.len() >= 2 && args[0].is_string() && !args[1].is_array();
            let e = if legacy {
                // Legacy: ["in", key, v1, v2, …]
                let key = legacy_key(0).ok_or("legacy \"in\" needs a key")?;
                Expr::In(Box::new(key), Box::new(Expr::Lit(Val::Arr(args[1..].iter().map(Val::from_json).collect()))))
            } else {
                Expr::In(boxed(arg(args, 0, op)?)?, boxed(arg(args, 1, op)?)?)
            };
            if op == "!in" { Expr::Not(Box::new(e)) } else { e }
        }
        "match" => {
            if args.len() < 2 || args.len() % 2 != 0 {
                return Err("\"match\" expects an input, label/output pairs and a default".into());
            }
            let input = boxed(&args[0])?;
            let mut arms = Vec::new();
            for pair in args[1..args.len() - 1].chunks(2) {
                let labels = match &pair[0] {
                    Value::Array(l) => l.iter().map(Val::from_json).collect(),
                    other => vec![Val::from_json(other)],
                };
                arms.push((labels, parse_value(&pair[1])?));
            }
            Expr::Match { input, arms, default: boxed(&args[args.len() - 1])? }
        }
        "case" => {
            if args.len() % 2 != 1 {
                return Err("\"case\" expects condition/output pairs and a default".into());
            }
            let mut arms = Vec::new();
            for pair in args[..args.len() - 1].chunks(2) {
                arms.push((parse(&pair[0])?, parse_value(&pair[1])?));
            }
            Expr::Case { arms, default: boxed(&args[args.len() - 1])? }
        }
        "coalesce" => Expr::Coalesce(args.iter().map(parse_value).collect::<Result<_, _>>()?),
        "concat" => Expr::Concat(args.iter().map(parse_value).collect::<Result<_, _>>()?),
        "to-string" | "string" => Expr::ToString(boxed(arg(args, 0, op)?)?),
        "to-number" | "number" => Expr::ToNumber(args.iter().map(parse_value).collect::<Result<_, _>>()?),
        "to-color" | "boolean" => parse_value(arg(args, 0, op)?)?,
        "upcase" => Expr::Upcase(boxed(arg(args, 0, op)?)?),
        "downcase" => Expr::Downcase(boxed(arg(args, 0, op)?)?),
        "+" | "-" | "*" | "/" | "%" => {
            let c = op.chars().next().unwrap_or('+');
            Expr::Arith(c, args.iter().map(parse_value).collect::<Result<_, _>>()?)
        }
        "interpolate" => {
            let kind =
                arg(args, 0, op)?.as_array().ok_or("\"interpolate\" needs [\"linear\"] or [\"exponential\", base]")?;
            let interp = match kind.first().and_then(Value::as_str) {
                Some("linear") => Interp::Linear,
                Some("exponential") => {
                    Interp::Exponential(kind.get(1).and_then(Value::as_f64).ok_or("exponential needs a base")?)
                }
                other => return Err(format!("interpolation {other:?} is not supported (linear, exponential)")),
            };
            let input = boxed(arg(args, 1, op)?)?;
            let stops = parse_stops(&args[2..])?;
            if stops.is_empty() {
                return Err("\"interpolate\" needs at least one stop".into());
            }
            Expr::Interpolate { interp, input, stops }
        }
        "step" => {
            let input = boxed(arg(args, 0, op)?)?;
            let base = boxed(arg(args, 1, op)?)?;
            Expr::Step { input, base, stops: parse_stops(&args[2..])? }
        }
        other => return Err(format!("unknown expression operator {other:?}")),
    })
}

fn parse_stops(a: &[Value]) -> Result<Vec<(f64, Expr)>, String> {
    if a.len() % 2 != 0 {
        return Err("stops come in input/output pairs".into());
    }
    let mut out: Vec<(f64, Expr)> = Vec::new();
    for pair in a.chunks(2) {
        let z = pair[0].as_f64().ok_or("stop inputs must be numbers")?;
        if out.last().is_some_and(|(prev, _)| *prev >= z) {
            return Err("stop inputs must increase".into());
        }
        out.push((z, parse_value(&pair[1])?));
    }
    Ok(out)
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.len() > 60 { format!("{}…", &s[..s.char_indices().nth(57).map_or(s.len(), |(i, _)| i)]) } else { s }
}

fn val_eq(a: &Val, b: &Val) -> bool {
    match (a, b) {
        (Val::Num(x), Val::Num(y)) => x == y,
        _ => a == b,
    }
}

fn lerp_val(a: &Val, b: &Val, t: f64) -> Val {
    match (a, b) {
        (Val::Num(x), Val::Num(y)) => Val::Num(x + (y - x) * t),
        _ => match (a.as_color(), b.as_color()) {
            (Some(x), Some(y)) if !matches!(a, Val::Str(s) if !looks_like_color(s)) => Val::Color(x.lerp(y, t as f32)),
            _ => match (a, b) {
                (Val::Arr(x), Val::Arr(y)) if x.len() == y.len() => {
                    Val::Arr(x.iter().zip(y).map(|(p, q)| lerp_val(p, q, t)).collect())
                }
                _ => a.clone(),
            },
        },
    }
}

impl Expr {
    /// The feature properties the expression reads (`get`, `has`): a source keeps only those of its
    /// features that some layer reads, so unread properties (long quotes) cost no memory.
    pub fn properties(&self, out: &mut std::collections::BTreeSet<String>) {
        match self {
            Expr::Get(k) | Expr::Has(k) => {
                out.insert(k.clone());
            }
            Expr::Lit(_) | Expr::Zoom | Expr::GeometryType | Expr::Id => {}
            Expr::Compare(_, a, b) | Expr::In(a, b) => {
                a.properties(out);
                b.properties(out);
            }
            Expr::All(v)
            | Expr::Any(v)
            | Expr::Coalesce(v)
            | Expr::Concat(v)
            | Expr::ToNumber(v)
            | Expr::Arith(_, v) => v.iter().for_each(|e| e.properties(out)),
            Expr::Not(a) | Expr::ToString(a) | Expr::Upcase(a) | Expr::Downcase(a) => a.properties(out),
            Expr::Match { input, arms, default } => {
                input.properties(out);
                default.properties(out);
                arms.iter().for_each(|(_, e)| e.properties(out));
            }
            Expr::Case { arms, default } => {
                default.properties(out);
                for (c, e) in arms {
                    c.properties(out);
                    e.properties(out);
                }
            }
            Expr::Interpolate { input, stops, .. } => {
                input.properties(out);
                stops.iter().for_each(|(_, e)| e.properties(out));
            }
            Expr::Step { input, base, stops } => {
                input.properties(out);
                base.properties(out);
                stops.iter().for_each(|(_, e)| e.properties(out));
            }
        }
    }

    /// Whether the expression reads the zoom (so it must be re-evaluated per zoom, not per feature only).
    pub fn uses_zoom(&self) -> bool {
        match self {
            Expr::Zoom => true,
            Expr::Lit(_) | Expr::Get(_) | Expr::Has(_) | Expr::GeometryType | Expr::Id => false,
            Expr::Compare(_, a, b) | Expr::In(a, b) => a.uses_zoom() || b.uses_zoom(),
            Expr::All(v)
            | Expr::Any(v)
            | Expr::Coalesce(v)
            | Expr::Concat(v)
            | Expr::ToNumber(v)
            | Expr::Arith(_, v) => v.iter().any(Expr::uses_zoom),
            Expr::Not(a) | Expr::ToString(a) | Expr::Upcase(a) | Expr::Downcase(a) => a.uses_zoom(),
            Expr::Match { input, arms, default } => {
                input.uses_zoom() || default.uses_zoom() || arms.iter().any(|(_, e)| e.uses_zoom())
            }
            Expr::Case { arms, default } => {
                default.uses_zoom() || arms.iter().any(|(c, e)| c.uses_zoom() || e.uses_zoom())
            }
            Expr::Interpolate { input, stops, .. } => input.uses_zoom() || stops.iter().any(|(_, e)| e.uses_zoom()),
            Expr::Step { input, base, stops } => {
                input.uses_zoom() || base.uses_zoom() || stops.iter().any(|(_, e)| e.uses_zoom())
            }
        }
    }

    /// Evaluate for one feature at one zoom.
    pub fn eval(&self, ctx: &Ctx<'_>) -> Val {
        match self {
            Expr::Lit(v) => v.clone(),
            Expr::Get(k) => ctx.props.property(k).map_or(Val::Null, Val::from_json),
            Expr::Has(k) => Val::Bool(ctx.props.property(k).is_some_and(|v| !v.is_null())),
            Expr::Zoom => Val::Num(ctx.zoom),
            Expr::GeometryType => Val::Str(ctx.geometry_type.to_string()),
            Expr::Id => ctx.id.map_or(Val::Null, |s| Val::Str(s.to_string())),
            Expr::Compare(cmp, a, b) => {
                let (x, y) = (a.eval(ctx), b.eval(ctx));
                let ord = match (&x, &y) {
                    (Val::Num(p), Val::Num(q)) => p.partial_cmp(q),
                    (Val::Str(p), Val::Str(q)) => Some(p.cmp(q)),
                    _ => None,
                };
                Val::Bool(match cmp {
                    Cmp::Eq => val_eq(&x, &y),
                    Cmp::Ne => !val_eq(&x, &y),
                    Cmp::Lt => ord == Some(std::cmp::Ordering::Less),
                    Cmp::Le => matches!(ord, Some(std::cmp::Ordering::Less | std::cmp::Ordering::Equal)),
                    Cmp::Gt => ord == Some(std::cmp::Ordering::Greater),
                    Cmp::Ge => matches!(ord, Some(std::cmp::Ordering::Greater | std::cmp::Ordering::Equal)),
                })
            }
            Expr::All(v) => Val::Bool(v.iter().all(|e| e.eval(ctx).truthy())),
            Expr::Any(v) => Val::Bool(v.iter().any(|e| e.eval(ctx).truthy())),
            Expr::Not(e) => Val::Bool(!e.eval(ctx).truthy()),
            Expr::In(needle, hay) => {
                let n = needle.eval(ctx);
                Val::Bool(match hay.eval(ctx) {
                    Val::Arr(items) => items.iter().any(|i| val_eq(i, &n)),
                    Val::Str(s) => n.as_str().is_some_and(|sub| s.contains(sub)),
                    _ => false,
                })
            }
            Expr::Match { input, arms, default } => {
                let v = input.eval(ctx);
                arms.iter()
                    .find(|(labels, _)| labels.iter().any(|l| val_eq(l, &v)))
                    .map_or_else(|| default.eval(ctx), |(_, e)| e.eval(ctx))
            }
            Expr::Case { arms, default } => {
                arms.iter().find(|(c, _)| c.eval(ctx).truthy()).map_or_else(|| default.eval(ctx), |(_, e)| e.eval(ctx))
            }
            Expr::Coalesce(v) => v.iter().map(|e| e.eval(ctx)).find(|x| *x != Val::Null).unwrap_or(Val::Null),
            Expr::Concat(v) => Val::Str(v.iter().map(|e| e.eval(ctx).to_text()).collect()),
            Expr::ToString(e) => Val::Str(e.eval(ctx).to_text()),
            Expr::ToNumber(v) => v
                .iter()
                .find_map(|e| match e.eval(ctx) {
                    Val::Num(n) => Some(n),
                    Val::Str(s) => s.trim().parse().ok(),
                    Val::Bool(b) => Some(if b { 1.0 } else { 0.0 }),
                    _ => None,
                })
                .map_or(Val::Null, Val::Num),
            Expr::Upcase(e) => Val::Str(e.eval(ctx).to_text().to_uppercase()),
            Expr::Downcase(e) => Val::Str(e.eval(ctx).to_text().to_lowercase()),
            Expr::Arith(op, v) => {
                let nums: Option<Vec<f64>> = v.iter().map(|e| e.eval(ctx).as_f64()).collect();
                let Some(nums) = nums else { return Val::Null };
                let Some((first, rest)) = nums.split_first() else { return Val::Null };
                if *op == '-' && rest.is_empty() {
                    return Val::Num(-first);
                }
                Val::Num(rest.iter().fold(*first, |acc, x| match op {
                    '+' => acc + x,
                    '-' => acc - x,
                    '*' => acc * x,
                    '/' => acc / x,
                    _ => acc % x,
                }))
            }
            Expr::Interpolate { interp, input, stops } => {
                let Some(x) = input.eval(ctx).as_f64() else { return Val::Null };
                let i = stops.partition_point(|(z, _)| *z <= x);
                if i == 0 {
                    return stops[0].1.eval(ctx);
                }
                if i == stops.len() {
                    return stops[i - 1].1.eval(ctx);
                }
                let (z0, e0) = &stops[i - 1];
                let (z1, e1) = &stops[i];
                let t = match interp {
                    Interp::Linear => (x - z0) / (z1 - z0),
                    Interp::Exponential(b) if (*b - 1.0).abs() < 1e-9 => (x - z0) / (z1 - z0),
                    Interp::Exponential(b) => (b.powf(x - z0) - 1.0) / (b.powf(z1 - z0) - 1.0),
                };
                lerp_val(&e0.eval(ctx), &e1.eval(ctx), t)
            }
            Expr::Step { input, base, stops } => {
                let Some(x) = input.eval(ctx).as_f64() else { return base.eval(ctx) };
                let i = stops.partition_point(|(z, _)| *z <= x);
                if i == 0 { base.eval(ctx) } else { stops[i - 1].1.eval(ctx) }
            }
        }
    }

    /// The constant this expression always yields, if it reads neither the feature nor the zoom.
    pub fn constant(&self) -> Option<&Val> {
        match self {
            Expr::Lit(v) => Some(v),
            _ => None,
        }
    }

    /// Every `(property, literal)` pair this expression branches on with `match` (for legends).
    pub fn match_labels(&self) -> Option<(&str, Vec<&Val>)> {
        match self {
            Expr::Match { input, arms, .. } => match input.as_ref() {
                Expr::Get(k) => Some((k.as_str(), arms.iter().flat_map(|(l, _)| l.iter()).collect())),
                _ => None,
            },
            _ => None,
        }
    }
}
