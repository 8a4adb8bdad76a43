//! "I have re-wired it": the list a trainee picks what they put right from (simulator, wiring
//! steps). Choosing records an engine input; the meter then reads the pack as re-wired.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};
use ratatui::Frame;

use super::{centered, AppView};
use crate::ui::keys::{rewire_choices, rewire_words};
use crate::ui::state::RewireForm;
use crate::ui::text::{clip, say};

/// The re-wiring list over the step, the cursor kept in view.
pub fn render(frame: &mut Frame<'_>, area: Rect, view: &AppView<'_>, form: &RewireForm) {
    let (spec, lang, t) = (view.spec, view.lang, view.theme);
    let w = area.width.saturating_sub(2).min(60);
    let tw = w as usize;
    let mut lines: Vec<Line<'static>> =
        crate::ui::text::wrap(&say(spec, lang, "ui.rewire.help"), tw.saturating_sub(1))
            .into_iter()
            .map(|l| Line::from(Span::styled(format!(" {l}"), t.dim())))
            .collect();
    let choices = rewire_choices(spec, view.state);
    let room = (area.height as usize)
        .saturating_sub(2 + lines.len())
        .max(1);
    // The cursor in the middle of the room where the list is longer than it.
    let offset = form
        .cursor
        .saturating_sub(room / 2)
        .min(choices.len().saturating_sub(room));
    for (i, what) in choices.iter().enumerate().skip(offset).take(room) {
        let here = i == form.cursor;
        let text = clip(
            &format!(
                " {} {}",
                if here { "›" } else { " " },
                rewire_words(spec, lang, what)
            ),
            tw,
        );
        lines.push(Line::from(Span::styled(
            text,
            if here { t.focus() } else { t.ok() },
        )));
    }
    let h = (lines.len() as u16 + 2).min(area.height);
    let rect = centered(area, w + 2, h);
    frame.render_widget(Clear, rect);
    let block = Block::bordered().title(Span::raw(format!(
        " {} ",
        say(spec, lang, "ui.rewire.title")
    )));
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    frame.render_widget(Paragraph::new(lines), inner);
}
