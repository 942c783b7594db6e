//! Comment selling: "SOLD A1 blue M x2", "sold a1", "A1 sold!" turned into
//! a claim on a product (and variant, and quantity), tolerant of case,
//! spacing and punctuation. Anything unclear goes to a moderator with the
//! reason; nothing is guessed.

use crate::products::catalog::Catalog;

/// Words that make a comment a claim (configurable per show).
pub const DEFAULT_KEYWORDS: &[&str] = &["sold", "claim", "mine"];
/// The largest quantity taken without a moderator.
const MAX_QUANTITY: u32 = 10;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    /// Not a claim (no keyword).
    None,
    Claim {
        /// Index into the catalog.
        product: usize,
        /// Index into the product's variants.
        variant: usize,
        quantity: u32,
    },
    /// It looks like a claim but is not clear: why, for the moderator.
    NeedsModerator(String),
}

/// Lower-case words of letters and digits ("A1!" → "a1", "x2," → "x2").
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.to_lowercase())
        .collect()
}

/// "x2", "2x", "×2" as a quantity.
fn quantity_word(w: &str) -> Option<u32> {
    w.strip_prefix('x')
        .or_else(|| w.strip_suffix('x'))
        .and_then(|n| n.parse().ok())
}

pub struct ClaimParser {
    keywords: Vec<String>,
    /// Per product: lower-case claim code, and per variant its option words.
    products: Vec<(String, Vec<Vec<String>>)>,
}

impl ClaimParser {
    pub fn new(catalog: &Catalog, keywords: &[&str]) -> ClaimParser {
        ClaimParser {
            keywords: keywords.iter().map(|k| k.to_lowercase()).collect(),
            products: catalog
                .products
                .iter()
                .map(|p| {
                    let variants = p
                        .variants
                        .iter()
                        .map(|v| v.option.as_deref().map(words).unwrap_or_default())
                        .collect();
                    (p.code.to_lowercase(), variants)
                })
                .collect(),
        }
    }

    pub fn parse(&self, text: &str) -> Parsed {
        // "×2" and "x 2" become "x2"; "A 1" is joined below.
        let text = text.replace('×', "x");
        let mut ws = words(&text);
        if !ws.iter().any(|w| self.keywords.contains(w)) {
            return Parsed::None;
        }
        // A code split by a space ("a 1") or a quantity ("x 2", "qty 2").
        let mut joined = Vec::new();
        let mut i = 0;
        while i < ws.len() {
            if i + 1 < ws.len() && ws[i + 1].chars().all(|c| c.is_ascii_digit()) {
                let pair = format!("{}{}", ws[i], ws[i + 1]);
                let is_code = self.products.iter().any(|(c, _)| *c == pair);
                if is_code || ws[i] == "x" || ws[i] == "qty" {
                    joined.push(if is_code { pair } else { format!("x{}", ws[i + 1]) });
                    i += 2;
                    continue;
                }
            }
            joined.push(std::mem::take(&mut ws[i]));
            i += 1;
        }
        let mut codes: Vec<usize> = Vec::new();
        let mut quantities: Vec<u32> = Vec::new();
        let mut rest: Vec<&str> = Vec::new();
        for w in &joined {
            if self.keywords.contains(w) {
                continue;
            }
            if let Some(p) = self.products.iter().position(|(c, _)| c == w) {
                if !codes.contains(&p) {
                    codes.push(p);
                }
            } else if let Some(q) = quantity_word(w) {
                quantities.push(q);
            } else {
                rest.push(w);
            }
        }
        let product = match codes.as_slice() {
            [p] => *p,
            [] => return Parsed::NeedsModerator("no product code in the claim".into()),
            _ => return Parsed::NeedsModerator("more than one product code".into()),
        };
        let variants = &self.products[product].1;
        // Option words the comment names; a bare number that is no option
        // word is a quantity ("sold a1 2").
        let option_words: Vec<&String> = variants.iter().flatten().collect();
        for w in rest.iter().filter(|w| !option_words.iter().any(|o| o == *w)) {
            if let Ok(q) = w.parse::<u32>() {
                quantities.push(q);
            }
        }
        let quantity = match quantities.as_slice() {
            [] => 1,
            [q] => *q,
            _ => return Parsed::NeedsModerator("more than one quantity".into()),
        };
        if quantity == 0 || quantity > MAX_QUANTITY {
            return Parsed::NeedsModerator(format!("quantity {quantity}"));
        }
        let named: Vec<&&str> = rest.iter().filter(|w| option_words.iter().any(|o| o == *w)).collect();
        let variant = if variants.len() == 1 {
            0
        } else {
            // The variants every named option word belongs to.
            let fits: Vec<usize> = (0..variants.len())
                .filter(|v| named.iter().all(|w| variants[*v].iter().any(|o| o == **w)))
                .collect();
            match fits.as_slice() {
                [v] => *v,
                [] => return Parsed::NeedsModerator("no variant has those options".into()),
                _ => return Parsed::NeedsModerator("which variant (size, colour)?".into()),
            }
        };
        Parsed::Claim {
            product,
            variant,
            quantity,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::products::catalog::import_csv;

    fn parser() -> ClaimParser {
        let (catalog, problems) = import_csv(
            "id,code,title,option,price,currency\n\
             shirt,A1,Linen Shirt,Blue / S,39,USD\n\
             shirt,A1,,Blue / M,39,USD\n\
             shirt,A1,,White / M,39,USD\n\
             mug,B2,Mug,,18,USD\n\
             shoe,C3,Sneakers,42,89,USD\n\
             shoe,C3,,43,89,USD\n",
            "t.csv",
            None,
        );
        assert!(problems.is_empty(), "{problems:?}");
        ClaimParser::new(&catalog, DEFAULT_KEYWORDS)
    }

    fn claim(product: usize, variant: usize, quantity: u32) -> Parsed {
        Parsed::Claim {
            product,
            variant,
            quantity,
        }
    }

    fn moderator(why: &str) -> Parsed {
        Parsed::NeedsModerator(why.into())
    }

    #[test]
    fn thirty_real_world_comment_forms() {
        let p = parser();
        let table: Vec<(&str, Parsed)> = vec![
            ("SOLD B2", claim(1, 0, 1)),
            ("sold b2", claim(1, 0, 1)),
            ("B2 sold!", claim(1, 0, 1)),
            ("b2 SOLD!!!", claim(1, 0, 1)),
            ("Sold B 2", claim(1, 0, 1)),
            ("sold: b2", claim(1, 0, 1)),
            ("SOLD B2 x2", claim(1, 0, 2)),
            ("sold b2 2x", claim(1, 0, 2)),
            ("sold b2 ×3", claim(1, 0, 3)),
            ("sold b2 x 2", claim(1, 0, 2)),
            ("sold b2 qty 2", claim(1, 0, 2)),
            ("sold b2 2", claim(1, 0, 2)),
            ("claim B2", claim(1, 0, 1)),
            ("B2 mine", claim(1, 0, 1)),
            ("mine!! b2 🔥", claim(1, 0, 1)),
            ("SOLD A1 blue M", claim(0, 1, 1)),
            ("sold a1 M blue", claim(0, 1, 1)),
            ("SOLD A1 blue M x2", claim(0, 1, 2)),
            ("sold A1 white", claim(0, 2, 1)),
            ("sold a1 white m", claim(0, 2, 1)),
            ("sold a1 s", claim(0, 0, 1)),
            ("SOLD C3 42", claim(2, 0, 1)),
            ("sold c3 size 43", claim(2, 1, 1)),
            ("is B2 still available?", Parsed::None),
            ("how much is a1", Parsed::None),
            ("love it 😍", Parsed::None),
            ("sold!", moderator("no product code in the claim")),
            ("sold a1 and b2", moderator("more than one product code")),
            ("sold A1", moderator("which variant (size, colour)?")),
            ("sold a1 blue", moderator("which variant (size, colour)?")),
            ("sold a1 red", moderator("which variant (size, colour)?")),
            ("sold a1 white s", moderator("no variant has those options")),
            ("sold b2 x50", moderator("quantity 50")),
            ("sold b2 x0", moderator("quantity 0")),
            ("sold b2 x2 x3", moderator("more than one quantity")),
            ("sold c3", moderator("which variant (size, colour)?")),
        ];
        assert!(table.len() >= 30);
        for (text, want) in table {
            assert_eq!(p.parse(text), want, "{text:?}");
        }
    }

    #[test]
    fn keywords_are_configurable() {
        let (catalog, _) = import_csv("id,code,title,price,currency\nmug,B2,Mug,18,USD\n", "t.csv", None);
        let p = ClaimParser::new(&catalog, &["vendido", "quiero"]);
        assert_eq!(p.parse("quiero B2"), claim(0, 0, 1));
        assert_eq!(p.parse("sold B2"), Parsed::None);
    }
}
