//! The simulated phone app, drawn as a clearly marked window (simulator only).

use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};
use ratatui::Frame;

use super::{centered, AppView};
use crate::ui::phone::{shown, PhoneRow, ROWS};
use crate::ui::text::{clip, say};

/// Draw the phone window.
pub fn render(frame: &mut Frame<'_>, area: Rect, view: &AppView<'_>) {
    let t = view.theme;
    let ui = view.ui;
    let mut phone = ui.phone.clone();
    if let Some(b) = view.bench {
        phone.bench = b;
    }
    let w = area.width.saturating_sub(2).min(60);
    let h = (ROWS.len() as u16 + 4).min(area.height);
    let rect = centered(area, w, h);
    frame.render_widget(Clear, rect);
    let block = Block::bordered()
        .title(Span::styled(
            " SIMULATED PHONE APP · not a real unit ",
            t.sim(),
        ))
        .border_style(t.sim());
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    let iw = inner.width as usize;
    let mut lines = Vec::new();
    // Two lines of help at the bottom; the rows scroll to keep the focused one in view.
    let room = (inner.height as usize).saturating_sub(2).max(1);
    let first = phone
        .focus
        .saturating_sub(room.saturating_sub(1))
        .min(ROWS.len().saturating_sub(room));
    for (i, row) in ROWS.iter().enumerate().skip(first).take(room) {
        let focused = i == phone.focus;
        let marker = if focused { "›" } else { " " };
        let value = shown(&phone, view.state, i);
        let value = match row {
            PhoneRow::BatteryType => format!("◂ {value} ▸"),
            // The bench's state in words (the app's switches show its own ON / OFF).
            PhoneRow::Plug => crate::ui::text::say(
                view.spec,
                view.lang,
                if phone.bench.plugged_in {
                    "ui.phone.plugged_in"
                } else {
                    "ui.phone.pulled_out"
                },
            ),
            PhoneRow::Activate => crate::ui::text::say(
                view.spec,
                view.lang,
                if phone.bench.activated {
                    "ui.phone.active"
                } else {
                    "ui.phone.inactive"
                },
            ),
            PhoneRow::Switch(_) => value,
            _ => {
                let typing = phone.buffers.contains_key(&i);
                let cursor = if focused { "▏" } else { "" };
                format!("[{value}{cursor}]{}", if typing { " ✎" } else { "" })
            }
        };
        let style = if focused {
            t.focus()
        } else {
            ratatui::style::Style::new()
        };
        lines.push(Line::from(vec![
            Span::raw(format!("{marker} ")),
            Span::styled(
                format!("{:<28}", clip(&row.label_in(view.spec, view.lang), 28)),
                style,
            ),
            Span::styled(clip(&value, iw.saturating_sub(31)), t.title()),
        ]));
    }
    lines.push(Line::from(Span::styled(
        clip(&say(view.spec, view.lang, "ui.phone.type_warning"), iw),
        t.warn().add_modifier(Modifier::BOLD),
    )));
    lines.push(Line::from(Span::styled(
        clip("↑↓ choose · type or ←→ · Enter applies · Esc closes", iw),
        t.dim(),
    )));
    frame.render_widget(Paragraph::new(lines), inner);
}
