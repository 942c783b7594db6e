//! Which comments the host should see: questions, and asks about price,
//! size, shipping and availability, and purchase intent — in English,
//! Spanish, German, French and Portuguese. Plain keyword sets (whole words
//! or phrases, case- and accent-insensitive): a moderator can read why a
//! comment was flagged, and a miss costs little because every comment stays
//! in the panel.

use serde::{Deserialize, Serialize};

/// Why a comment was flagged (bit set).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flags(pub u8);

impl Flags {
    pub const QUESTION: Flags = Flags(1);
    pub const PRICE: Flags = Flags(2);
    pub const SIZE: Flags = Flags(4);
    pub const SHIPPING: Flags = Flags(8);
    pub const AVAILABILITY: Flags = Flags(16);
    pub const INTENT: Flags = Flags(32);
    /// A claim the parser could not settle: a moderator decides.
    pub const CLAIM_CHECK: Flags = Flags(64);
    /// A bid an auction refused (the message's `check` says why).
    pub const BID_REFUSED: Flags = Flags(128);

    pub const ALL: [(Flags, &'static str); 8] = [
        (Flags::QUESTION, "question"),
        (Flags::PRICE, "price"),
        (Flags::SIZE, "size"),
        (Flags::SHIPPING, "shipping"),
        (Flags::AVAILABILITY, "availability"),
        (Flags::INTENT, "wants to buy"),
        (Flags::CLAIM_CHECK, "claim to check"),
        (Flags::BID_REFUSED, "bid refused"),
    ];

    pub fn contains(self, f: Flags) -> bool {
        self.0 & f.0 == f.0 && f.0 != 0
    }
    pub fn any(self) -> bool {
        self.0 != 0
    }
    pub fn insert(&mut self, f: Flags) {
        self.0 |= f.0;
    }
    /// "price, size".
    pub fn describe(self) -> String {
        Flags::ALL
            .iter()
            .filter(|(f, _)| self.contains(*f))
            .map(|(_, n)| *n)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Keyword sets per flag. Words are matched whole; entries with a space are
/// phrases. Written without accents: comments are folded the same way.
const SETS: &[(Flags, &[&str])] = &[
    (
        Flags::QUESTION,
        &[
            // en
            "how",
            "what",
            "which",
            "when",
            "where",
            "why",
            "can i",
            "do you",
            "does it",
            "is it",
            "is there",
            "are there",
            "will it", // es
            "como",
            "cual",
            "cuando",
            "donde",
            "por que",
            "puedo",
            "tienes",
            "tienen",
            "hay", // de
            "wie",
            "welche",
            "wann",
            "wo",
            "warum",
            "gibt es",
            "kann ich",
            "habt ihr", // fr
            "comment",
            "quel",
            "quelle",
            "quand",
            "pourquoi",
            "est ce que",
            "peut on",
            "avez vous",
            // pt
            "qual",
            "quando",
            "onde",
            "porque",
            "voces tem",
            "da pra",
        ],
    ),
    (
        Flags::PRICE,
        &[
            "price",
            "how much",
            "cost",
            "costs",
            "discount",
            "code",
            "coupon", // es
            "precio",
            "cuanto",
            "cuesta",
            "cuestan",
            "descuento",
            "cupon", // de
            "preis",
            "kostet",
            "kosten",
            "wieviel",
            "wie viel",
            "rabatt",
            "gutschein", // fr
            "prix",
            "combien",
            "coute",
            "reduction",
            "promo", // pt
            "preco",
            "quanto",
            "custa",
            "desconto",
            "cupom",
        ],
    ),
    (
        Flags::SIZE,
        &[
            "size",
            "sizes",
            "fit",
            "fits",
            "measurements",
            "length",
            "small",
            "large", // es
            "talla",
            "tallas",
            "medida",
            "medidas",
            "tamano", // de
            "grosse",
            "grossen",
            "passform",
            "masse",
            "fallt", // fr
            "taille",
            "tailles",
            "pointure",
            "mesures", // pt
            "tamanho",
            "tamanhos",
            "medidas",
            "veste",
        ],
    ),
    (
        Flags::SHIPPING,
        &[
            "shipping",
            "ship",
            "ships",
            "delivery",
            "deliver",
            "arrive",
            "postage",
            "international", // es
            "envio",
            "envios",
            "entrega",
            "llega",
            "mandan", // de
            "versand",
            "lieferung",
            "liefern",
            "porto",
            "ankommen", // fr
            "livraison",
            "expedition",
            "livrez",
            "frais de port", // pt
            "frete",
            "entrega",
            "envio",
            "chega",
            "correios",
        ],
    ),
    (
        Flags::AVAILABILITY,
        &[
            "available",
            "in stock",
            "stock",
            "left",
            "sold out",
            "restock",
            "back in",
            "colors",
            "colours", // es
            "disponible",
            "disponibles",
            "quedan",
            "agotado",
            "existencia",
            "colores", // de
            "verfugbar",
            "vorratig",
            "ausverkauft",
            "lager",
            "farben", // fr
            "disponible",
            "en stock",
            "rupture",
            "epuise",
            "couleurs", // pt
            "disponivel",
            "estoque",
            "esgotado",
            "cores",
            "ainda tem",
        ],
    ),
    (
        Flags::INTENT,
        &[
            "i want",
            "i'll take",
            "ill take",
            "i will take",
            "want it",
            "need it",
            "need this",
            "buy",
            "buying",
            "add to cart",
            "take one",
            "want one",
            "i need",
            "order", // es
            "lo quiero",
            "la quiero",
            "quiero",
            "me lo llevo",
            "comprar",
            "compro",
            "me interesa", // de
            "will ich",
            "ich will",
            "ich nehme",
            "kaufen",
            "bestellen",
            "haben will", // fr
            "je veux",
            "je prends",
            "acheter",
            "commander",
            "je le prends",
            "je la prends", // pt
            "eu quero",
            "quero",
            "vou levar",
            "comprar",
            "compro",
            "reserva",
        ],
    ),
];

/// Lower case, accents removed, punctuation to spaces, apostrophes kept
/// ("I'll"), one space between words, padded so " word " matches whole.
fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push(' ');
    let mut space = true;
    for c in text.chars().flat_map(char::to_lowercase) {
        let c = match c {
            'á' | 'à' | 'â' | 'ä' | 'ã' | 'å' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'í' | 'ì' | 'î' | 'ï' => 'i',
            'ó' | 'ò' | 'ô' | 'ö' | 'õ' => 'o',
            'ú' | 'ù' | 'û' | 'ü' => 'u',
            'ç' => 'c',
            'ñ' => 'n',
            'ß' => 's',
            '’' => '\'',
            c => c,
        };
        if c.is_alphanumeric() || c == '\'' {
            out.push(c);
            space = false;
        } else if !space {
            out.push(' ');
            space = true;
        }
    }
    if !space {
        out.push(' ');
    }
    out
}

/// The flags for one comment.
pub fn classify(text: &str) -> Flags {
    let folded = fold(text);
    let mut flags = Flags::default();
    if text.contains('?') || text.contains('¿') {
        flags.insert(Flags::QUESTION);
    }
    for (flag, words) in padded_sets() {
        if !flags.contains(*flag) && words.iter().any(|w| folded.contains(w.as_str())) {
            flags.insert(*flag);
        }
    }
    flags
}

/// `SETS` with each entry padded (" how much "), made once: `classify` runs
/// for every chat message.
fn padded_sets() -> &'static [(Flags, Vec<String>)] {
    static PADDED: std::sync::OnceLock<Vec<(Flags, Vec<String>)>> = std::sync::OnceLock::new();
    PADDED.get_or_init(|| {
        SETS.iter()
            .map(|(f, words)| (*f, words.iter().map(|w| format!(" {w} ")).collect()))
            .collect()
    })
}

/// A blocked-words list folded and padded (" scam ") for `blocked`.
pub fn fold_words(words: &[String]) -> Vec<String> {
    words.iter().map(|w| fold(w)).filter(|w| !w.trim().is_empty()).collect()
}

/// The first blocked word (already folded) the text contains as a word.
pub fn blocked<'a>(text: &str, folded_words: &'a [String]) -> Option<&'a str> {
    if folded_words.is_empty() {
        return None;
    }
    let folded = fold(text);
    folded_words
        .iter()
        .find(|w| folded.contains(w.as_str()))
        .map(|w| w.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn questions_and_asks_in_five_languages() {
        let cases: &[(&str, Flags)] = &[
            ("how much is the blue one", Flags(Flags::QUESTION.0 | Flags::PRICE.0)),
            ("Price?", Flags(Flags::QUESTION.0 | Flags::PRICE.0)),
            ("do you ship to Canada", Flags(Flags::QUESTION.0 | Flags::SHIPPING.0)),
            ("is the M still available", Flags::AVAILABILITY),
            ("I want it!!", Flags::INTENT),
            ("¿Cuánto cuesta?", Flags(Flags::QUESTION.0 | Flags::PRICE.0)),
            ("qué talla es", Flags::SIZE),
            ("lo quiero 😍", Flags::INTENT),
            ("Wie viel kostet das", Flags(Flags::QUESTION.0 | Flags::PRICE.0)),
            ("Versand nach Österreich", Flags::SHIPPING),
            ("ich nehme zwei", Flags::INTENT),
            ("c'est combien", Flags::PRICE),
            ("quelle taille", Flags(Flags::QUESTION.0 | Flags::SIZE.0)),
            ("je prends", Flags::INTENT),
            ("Quanto custa o frete", Flags(Flags::PRICE.0 | Flags::SHIPPING.0)),
            ("ainda tem estoque", Flags::AVAILABILITY),
            ("eu quero", Flags::INTENT),
            ("love this color", Flags::default()),
            ("hello from Texas", Flags::default()),
            ("it was great", Flags::default()),
            ("somehow", Flags::default()),
        ];
        for (text, want) in cases {
            assert_eq!(classify(text), *want, "{text:?}: {}", classify(text).describe());
        }
    }

    #[test]
    fn blocked_words_match_whole_words_any_case_and_accent() {
        let words = fold_words(&["Scam".into(), "  ".into(), "estafa".into()]);
        assert_eq!(blocked("total SCAM!!", &words), Some("scam"));
        assert_eq!(blocked("es una estafá", &words), Some("estafa"));
        assert_eq!(blocked("scampi tonight", &words), None);
    }
}
