//! The phrases a user types, per language (`en`, `es`, `pt`, `fr`, `de`): lowercase ASCII
//! letters and spaces only, so that every keyboard layout types them with one key per character
//! (no dead keys, no accents), 30 to 50 characters long (enough keys and digraphs to score).

use kit::DomainError;

/// The languages served; the first is the default.
pub const LANGUAGES: [&str; 5] = ["en", "es", "pt", "fr", "de"];

const EN: &[&str] = &[
    "the quick brown fox jumps over the lazy dog",
    "a gentle breeze carried the smell of rain",
    "seven bright kites danced above the harbor",
    "every morning she walks along the river",
    "the old clock in the hall struck twelve",
    "warm bread and fresh coffee on the table",
    "our train leaves the station at noon today",
    "quiet snow covered the fields before dawn",
];
const ES: &[&str] = &[
    "el perro corre feliz por el parque verde",
    "la luna brilla sobre el mar en calma",
    "mi abuela cocina pan dulce cada domingo",
    "los pajaros cantan al salir el sol",
    "un tren largo cruza el valle despacio",
    "las flores rojas crecen junto al rio",
];
const PT: &[&str] = &[
    "o gato dorme tranquilo perto da janela",
    "a chuva fina molha as ruas da cidade",
    "meu amigo toca violao todas as noites",
    "o barco azul navega devagar no rio",
    "as criancas brincam felizes no jardim",
    "uma brisa leve sopra pela manha",
];
const FR: &[&str] = &[
    "le petit chat dort sur le vieux canape",
    "la pluie tombe doucement sur la ville",
    "mon voisin joue du piano chaque soir",
    "un bateau blanc glisse sur le lac calme",
    "les enfants courent dans le grand jardin",
    "le boulanger ouvre sa porte tres tot",
];
const DE: &[&str] = &[
    "der kleine hund spielt gern im garten",
    "am morgen scheint die sonne auf das dach",
    "wir fahren mit dem zug nach berlin",
    "die katze schlaeft ruhig auf dem sofa",
    "ein roter ballon fliegt hoch in den himmel",
    "mein bruder liest jeden abend ein buch",
];

/// The language of a request: `None` is the default (`en`), an unknown one too; an empty one is
/// refused.
pub fn language(given: Option<&str>) -> Result<&'static str, DomainError> {
    match given.map(str::trim) {
        Some("") => Err(DomainError::Invalid(format!("language must not be empty: one of {}", LANGUAGES.join(", ")))),
        Some(l) => Ok(LANGUAGES.iter().find(|k| k.eq_ignore_ascii_case(l)).copied().unwrap_or(LANGUAGES[0])),
        None => Ok(LANGUAGES[0]),
    }
}

/// The phrases of a language (of [`LANGUAGES`]; any other gives the default's).
pub fn phrases(language: &str) -> &'static [&'static str] {
    match language {
        "es" => ES,
        "pt" => PT,
        "fr" => FR,
        "de" => DE,
        _ => EN,
    }
}

/// A phrase of `language` drawn with the OS generator.
pub fn random(language: &str) -> Result<&'static str, DomainError> {
    let list = phrases(language);
    let draw = getrandom::u32().map_err(|_| DomainError::Busy("the random generator failed".into()))?;
    let i = usize::try_from(draw).unwrap_or(0) % list.len().max(1);
    list.get(i).copied().ok_or_else(|| DomainError::Busy("no phrase".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phrases_are_plain_and_languages_default_to_english() {
        for l in LANGUAGES {
            for p in phrases(l) {
                assert!((30..=50).contains(&p.len()), "{p}");
                assert!(p.bytes().all(|b| b.is_ascii_lowercase() || b == b' ') && !p.contains("  "), "{p}");
            }
            assert!(phrases(l).contains(&random(l).unwrap()));
        }
        assert_eq!(language(None).unwrap(), "en");
        assert_eq!(language(Some("FR")).unwrap(), "fr");
        assert_eq!(language(Some("xx")).unwrap(), "en");
        assert!(language(Some(" ")).is_err());
    }
}
