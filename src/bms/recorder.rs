//! Any link, recorded into a capture: the wrapper a session or `monitor --record` puts
//! around the unit's link. Apart from the capture format (`capture`), so that the format
//! knows nothing of links and the link trait only names the tap.

use crate::bms::capture::Tap;
use crate::bms::link::{BmsLink, LinkError, LinkEvent};

/// Any link, recorded: the wrapped link reports its traffic to the tap, so a Bluetooth unit,
/// the simulator and a replay are all recorded the same way.
pub struct Recorder<L> {
    inner: L,
    tap: Tap,
}

impl<L: BmsLink> Recorder<L> {
    /// Record `inner` through `tap`.
    pub fn new(mut inner: L, tap: Tap) -> Self {
        inner.set_tap(tap.clone());
        Recorder { inner, tap }
    }

    /// The recording's handle (to seal it).
    pub fn tap(&self) -> &Tap {
        &self.tap
    }
}

impl<L: BmsLink> BmsLink for Recorder<L> {
    async fn connect(&mut self) -> Result<(), LinkError> {
        self.inner.connect().await
    }

    async fn next_event(&mut self) -> Option<LinkEvent> {
        self.inner.next_event().await
    }

    async fn refresh(&mut self) -> Result<(), LinkError> {
        self.inner.refresh().await
    }

    fn set_tap(&mut self, tap: Tap) {
        self.tap = tap.clone();
        self.inner.set_tap(tap);
    }
}
