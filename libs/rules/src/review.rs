//! The review vocabulary, declared once: a reviewer's decision on one version of a unit's
//! report, and the state of a unit's latest version. The words travel on the reviews
//! topic and in the tables (`approve`, `return`), in the API (`approved`, `returned`)
//! and on pages (Vietnamese); each spelling is here and nowhere else.

/// A reviewer's decision on one version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Decision {
    /// The version is accepted as it is.
    Approve,
    /// The version goes back to the unit, with a reason (required).
    Return,
}

impl Decision {
    /// The word on the reviews topic and in the tables' `decision` column.
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Approve => "approve",
            Decision::Return => "return",
        }
    }

    /// The decision a word names (`approve`, `return`); `None` for anything else.
    pub fn parse(word: &str) -> Option<Self> {
        match word.trim() {
            "approve" => Some(Decision::Approve),
            "return" => Some(Decision::Return),
            _ => None,
        }
    }

    /// The state a version is in once decided.
    pub fn state(self) -> ReviewState {
        match self {
            Decision::Approve => ReviewState::Approved,
            Decision::Return => ReviewState::Returned,
        }
    }

    /// What the reviewer is told once it is recorded, in Vietnamese.
    pub fn done_vi(self) -> &'static str {
        match self {
            Decision::Approve => "Đã phê duyệt báo cáo.",
            Decision::Return => "Đã trả lại báo cáo cho đơn vị kèm lý do.",
        }
    }
}

/// The review state of a unit's latest version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReviewState {
    /// The unit has sent nothing.
    None,
    /// Sent, not decided yet (a correction after a decision is pending again).
    Pending,
    /// Approved.
    Approved,
    /// Returned to the unit.
    Returned,
}

impl ReviewState {
    /// The state of a version with `decision` (a word of the reviews topic), or of no
    /// version.
    pub fn of(has_version: bool, decision: Option<&str>) -> Self {
        match (has_version, decision.and_then(Decision::parse)) {
            (false, _) => ReviewState::None,
            (true, None) => ReviewState::Pending,
            (true, Some(decision)) => decision.state(),
        }
    }

    /// The word of the API (`GetReportStatus.review_state`).
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewState::None => "none",
            ReviewState::Pending => "pending",
            ReviewState::Approved => "approved",
            ReviewState::Returned => "returned",
        }
    }

    /// The state of an API word (`pending`, `approved`, `returned`, `none`).
    pub fn parse(word: &str) -> Option<Self> {
        [
            ReviewState::None,
            ReviewState::Pending,
            ReviewState::Approved,
            ReviewState::Returned,
        ]
        .into_iter()
        .find(|s| s.as_str() == word.trim())
    }

    /// The state in Vietnamese, as pages show it.
    pub fn label_vi(self) -> &'static str {
        match self {
            ReviewState::None => "Chưa gửi",
            ReviewState::Pending => "Chờ duyệt",
            ReviewState::Approved => "Đã phê duyệt",
            ReviewState::Returned => "Đã trả lại",
        }
    }

    /// The order of a reviewer's queue: pending first, then returned, then approved.
    pub fn queue_order(self) -> u8 {
        match self {
            ReviewState::Pending => 0,
            ReviewState::Returned => 1,
            ReviewState::Approved => 2,
            ReviewState::None => 3,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_decision_reads_back_and_names_its_state() {
        for decision in [Decision::Approve, Decision::Return] {
            assert_eq!(Decision::parse(decision.as_str()), Some(decision));
            assert_eq!(
                ReviewState::of(true, Some(decision.as_str())),
                decision.state()
            );
        }
        assert_eq!(Decision::parse("APPROVE"), None);
        assert_eq!(ReviewState::of(true, None), ReviewState::Pending);
        assert_eq!(ReviewState::of(false, Some("approve")), ReviewState::None);
        assert_eq!(ReviewState::Returned.as_str(), "returned");
    }
}
