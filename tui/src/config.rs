//! `~/.config/kybernet/dashboard.yaml`: the keys and the colours, each optional.
//!
//! ```yaml
//! keys:          # action: one character
//!   describe: i
//!   logs: L
//! theme:
//!   header: yellow       # the header's labels
//!   title: "#5fafff"     # list and page titles
//!   selected: blue       # the selected row's background (default: reversed)
//! ```

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use ratatui::style::Color;
use serde_json::Value;

use crate::app::Action;

/// Every rebindable action by its name in the file, with its default key.
const ACTIONS: &[(&str, char)] = &[
    ("quit", 'q'),
    ("command", ':'),
    ("filter", '/'),
    ("help", '?'),
    ("down", 'j'),
    ("up", 'k'),
    ("top", 'g'),
    ("bottom", 'G'),
    ("describe", 'd'),
    ("yaml", 'y'),
    ("logs", 'l'),
    ("shell", 'x'),
    ("edit", 'e'),
    ("restart", 'r'),
    ("cordon", 'c'),
    ("uncordon", 'u'),
    ("forward", 'F'),
    ("scale", 's'),
    ("all-namespaces", '0'),
    ("sort", 'o'),
    ("reverse", 'O'),
];

fn action(name: &str) -> Option<Action> {
    Some(match name {
        "quit" => Action::Quit,
        "command" => Action::StartCommand,
        "filter" => Action::StartFilter,
        "help" => Action::Help,
        "down" => Action::Down,
        "up" => Action::Up,
        "top" => Action::Top,
        "bottom" => Action::Bottom,
        "describe" => Action::Describe,
        "yaml" => Action::Yaml,
        "logs" => Action::Logs,
        "shell" => Action::Shell,
        "edit" => Action::Edit,
        "restart" => Action::Restart,
        "cordon" => Action::Cordon(true),
        "uncordon" => Action::Cordon(false),
        "forward" => Action::Forward,
        "scale" => Action::Scale,
        "all-namespaces" => Action::AllNamespaces,
        "sort" => Action::SortNext,
        "reverse" => Action::SortReverse,
        _ => return None,
    })
}

/// The list screen's letter keys.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyMap(pub HashMap<char, Action>);

impl Default for KeyMap {
    fn default() -> KeyMap {
        KeyMap(
            ACTIONS
                .iter()
                .filter_map(|(name, key)| Some((*key, action(name)?)))
                .collect(),
        )
    }
}

/// The colours.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Theme {
    pub header: Color,
    pub title: Color,
    /// None: the selected row is drawn reversed.
    pub selected: Option<Color>,
}

impl Default for Theme {
    fn default() -> Theme {
        Theme {
            header: Color::Yellow,
            title: Color::Cyan,
            selected: None,
        }
    }
}

/// Where the file is: `$XDG_CONFIG_HOME/kybernet/dashboard.yaml`, else under `~/.config`.
pub fn default_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some(base.join("kybernet").join("dashboard.yaml"))
}

/// Reads the file (absent: the defaults); a mistake in it is an error that names it.
pub fn load(path: &Path) -> Result<(KeyMap, Theme), String> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    parse(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// The keys and colours a file's text asks for.
pub fn parse(text: &str) -> Result<(KeyMap, Theme), String> {
    let mut keys = KeyMap::default();
    let mut theme = Theme::default();
    if text.trim().is_empty() {
        return Ok((keys, theme));
    }
    let doc: Value = serde_saphyr::from_str(text).map_err(|e| e.to_string())?;
    if !doc.is_object() && !doc.is_null() {
        return Err("expected a mapping with keys and theme".into());
    }
    for (name, key) in doc["keys"].as_object().into_iter().flatten() {
        let Some(act) = action(name) else {
            let known: Vec<&str> = ACTIONS.iter().map(|(n, _)| *n).collect();
            return Err(format!(
                "keys: unknown action {name:?} (one of {})",
                known.join(", ")
            ));
        };
        let mut chars = key.as_str().unwrap_or_default().chars();
        let (Some(c), None) = (chars.next(), chars.next()) else {
            return Err(format!("keys.{name}: one character, not {key}"));
        };
        keys.0.retain(|_, a| *a != act);
        keys.0.insert(c, act);
    }
    let color = |field: &str| -> Result<Option<Color>, String> {
        match &doc["theme"][field] {
            Value::Null => Ok(None),
            Value::String(s) => Color::from_str(s)
                .map(Some)
                .map_err(|_| format!("theme.{field}: not a colour: {s:?}")),
            other => Err(format!("theme.{field}: not a colour: {other}")),
        }
    };
    if let Some(c) = color("header")? {
        theme.header = c;
    }
    if let Some(c) = color("title")? {
        theme.title = c;
    }
    theme.selected = color("selected")?;
    Ok((keys, theme))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_colours_come_from_the_file() {
        let (keys, theme) = parse(
            "keys:\n  describe: i\n  logs: L\ntheme:\n  title: \"#5fafff\"\n  selected: blue\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(keys.0.get(&'i'), Some(&Action::Describe));
        assert_eq!(keys.0.get(&'d'), None, "the old key is free");
        assert_eq!(keys.0.get(&'L'), Some(&Action::Logs));
        assert_eq!(keys.0.get(&'q'), Some(&Action::Quit));
        assert_eq!(theme.title, Color::Rgb(0x5f, 0xaf, 0xff));
        assert_eq!(theme.selected, Some(Color::Blue));
        assert_eq!(theme.header, Color::Yellow);
        assert_eq!(parse("").map(|(k, _)| k), Ok(KeyMap::default()));
    }

    #[test]
    fn mistakes_are_named() {
        assert_eq!(
            parse("keys:\n  fly: f\n")
                .err()
                .map(|e| e[..30].to_string()),
            Some("keys: unknown action \"fly\" (on".to_string())
        );
        assert_eq!(
            parse("keys:\n  quit: qq\n").err(),
            Some("keys.quit: one character, not \"qq\"".to_string())
        );
        assert_eq!(
            parse("theme:\n  title: nocolour\n").err(),
            Some("theme.title: not a colour: \"nocolour\"".to_string())
        );
        assert!(parse("- a list\n").is_err());
        assert!(parse("keys: [").is_err());
    }
}
