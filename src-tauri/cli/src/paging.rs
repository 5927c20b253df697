//! Paged lists on the command line: one page with the cursor of the next (`--after` asks for it), or every
//! page one after another (`--all`), printed as each arrives so a long list never waits in memory.

use br_api::ApiError;
use serde::Serialize;

use crate::output::{json_line, print};
use crate::Cli;

#[derive(clap::Args, Debug, Clone)]
pub struct PageArgs {
    /// Start after this cursor, printed at the end of the previous page.
    #[arg(long, alias = "cursor", conflicts_with = "all")]
    pub after: Option<String>,
    /// Every page, one after another. With --json, one JSON object per item and line (JSON Lines).
    #[arg(long)]
    pub all: bool,
}

/// A page of a paged operation's answer.
pub trait Page: Serialize {
    type Item: Serialize;
    fn items(&self) -> &[Self::Item];
    fn next(&self) -> Option<&str>;
    /// Whether the item at `index` carries the list's mark (see [`Text::mark`]).
    fn marked(&self, _index: usize) -> bool {
        false
    }
}

/// How a list reads as text.
pub struct Text<'a, P: Page> {
    /// Printed once, before the items: a count or how the items were found.
    pub head: &'a dyn Fn(&P) -> Option<String>,
    /// The lines of one item.
    pub item: &'a dyn Fn(&P::Item) -> String,
    /// Printed when there is no item at all.
    pub empty: &'a str,
    /// Appended to the line of an item the page marks.
    pub mark: &'a str,
}

impl<P: Page> Text<'_, P> {
    fn lines(&self, page: &P, with_head: bool) -> Vec<String> {
        let mut lines: Vec<String> = if with_head { (self.head)(page).into_iter().collect() } else { Vec::new() };
        for (i, item) in page.items().iter().enumerate() {
            let line = (self.item)(item);
            lines.push(if page.marked(i) { format!("{line}  {}", self.mark) } else { line });
        }
        lines
    }
}

/// Fetches and prints the page after `args.after`, or with `args.all` every page from there on.
pub fn print_pages<P: Page>(
    cli: &Cli,
    args: &PageArgs,
    mut fetch: impl FnMut(Option<String>) -> Result<P, ApiError>,
    text: Text<'_, P>,
) -> Result<(), ApiError> {
    let mut after = args.after.clone();
    let mut printed = 0usize;
    loop {
        let page = fetch(after.take())?;
        if !args.all {
            print(cli, &page, |p| {
                let mut lines = text.lines(p, true);
                if p.items().is_empty() {
                    lines.push(text.empty.to_string());
                }
                if let Some(next) = p.next() {
                    lines.push(format!("next page: --after {next}"));
                }
                lines.join("\n")
            });
            return Ok(());
        }
        if cli.json {
            page.items().iter().for_each(json_line);
        } else {
            let lines = text.lines(&page, printed == 0);
            if !lines.is_empty() {
                print(cli, &(), |_| lines.join("\n"));
            }
        }
        printed += page.items().len();
        match page.next() {
            Some(next) => after = Some(next.to_string()),
            None => break,
        }
    }
    if printed == 0 && !cli.json {
        print(cli, &(), |_| text.empty.to_string());
    }
    Ok(())
}
