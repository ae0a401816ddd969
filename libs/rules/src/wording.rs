//! The one Vietnamese wording of a refusal, for every door a person uses: the web form,
//! a spreadsheet import (in the portal or `baocao import`) and the review desk. Each
//! door keeps its own status codes; what it *says* comes from here, so a rule's message
//! reads the same wherever the clerk meets it.

use crate::validate::Violation;

/// Why a report or a decision was not accepted, as a person is told (the submission
/// core's `Refusal` without its machinery).
#[derive(Clone, Copy, Debug)]
pub enum Refused<'a> {
    /// A required field is empty.
    Missing {
        /// Its path (`report.unit_code`).
        field: &'a str,
    },
    /// The report names a unit the register does not have.
    UnknownUnit {
        /// The code sent.
        code: &'a str,
    },
    /// The account may not act for this unit.
    NotPermitted,
    /// The unit sent too many reports in the last minute.
    RateLimited {
        /// Seconds until it may send again (at least 1 is said).
        wait_seconds: u64,
    },
    /// Fields break the rules.
    Invalid(&'a [Violation]),
    /// The submission id was used before with other content.
    IdReused,
    /// The version was already approved or returned.
    AlreadyReviewed,
    /// Nothing was recorded: the message system is unavailable; retrying is safe.
    Unavailable,
}

/// Where the person met the refusal: it decides how to try again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Door {
    /// The report form of the portal ("bấm Gửi báo cáo").
    Form,
    /// A spreadsheet import, a unit's row of it (the message follows the cell's name,
    /// so it starts in lower case).
    Import,
    /// The review desk (approving or returning a version).
    Review,
    /// A program through the gRPC API: `baocao submit`, `import`, `review`, or a unit's
    /// own system (the message rides in the status as a `vi-VN` localized message).
    Client,
}

/// What to say: messages at their fields, and a notice about the whole.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Said {
    /// (field path, message) for each field at fault.
    pub fields: Vec<(String, String)>,
    /// The message about the whole report or decision ("" when the fields say it all).
    pub notice: String,
}

impl Said {
    /// Everything in one sentence run: the notice, or the fields' messages.
    pub fn sentence(&self) -> String {
        if !self.notice.is_empty() || self.fields.is_empty() {
            return self.notice.clone();
        }
        let messages: Vec<&str> = self.fields.iter().map(|(_, m)| m.as_str()).collect();
        messages.join(" ")
    }

    fn notice(notice: String) -> Self {
        Said {
            fields: Vec::new(),
            notice,
        }
    }
}

/// How `refused` is said at `door`.
pub fn said(refused: Refused<'_>, door: Door) -> Said {
    match refused {
        // A decision's missing fields are the page's own (a unit, a version), not a
        // field the reviewer can fill: named in the notice.
        Refused::Missing { .. } if door == Door::Review => Said::notice(notice(refused, door)),
        Refused::Missing { field } => Said {
            fields: vec![(field.to_string(), "Bắt buộc nhập.".to_string())],
            notice: String::new(),
        },
        Refused::Invalid(violations) => Said {
            fields: violations
                .iter()
                .map(|v| (v.field.clone(), v.reason_vi.clone()))
                .collect(),
            notice: String::new(),
        },
        other => Said::notice(notice(other, door)),
    }
}

/// The notice of a refusal about the whole report or decision.
fn notice(refused: Refused<'_>, door: Door) -> String {
    match (refused, door) {
        (Refused::UnknownUnit { code }, Door::Import) => {
            format!("mã đơn vị {code} không có trong danh mục")
        }
        (Refused::UnknownUnit { .. } | Refused::NotPermitted, Door::Form) => {
            "Tài khoản của bạn không được gửi báo cáo cho đơn vị này.".to_string()
        }
        (Refused::NotPermitted, Door::Import) => {
            "tài khoản nhập không được gửi báo cáo cho đơn vị này".to_string()
        }
        (
            Refused::UnknownUnit { .. } | Refused::NotPermitted | Refused::RateLimited { .. },
            Door::Review,
        ) => "Đơn vị của bạn không duyệt báo cáo của đơn vị này.".to_string(),
        (Refused::RateLimited { wait_seconds }, Door::Form) => format!(
            "Đơn vị đã gửi quá nhiều lần trong một phút. Hãy gửi lại sau {} giây.",
            wait_seconds.max(1)
        ),
        (Refused::RateLimited { wait_seconds }, Door::Import) => format!(
            "đơn vị đã gửi quá nhiều lần trong một phút: tải lên lại sau {} giây",
            wait_seconds.max(1)
        ),
        (Refused::IdReused, Door::Form) => "Biểu mẫu này đã được gửi trước đó với nội dung khác. Nội dung hiện tại chưa được tiếp nhận; bấm “Gửi báo cáo” để gửi nó như một bản cập nhật mới.".to_string(),
        (Refused::IdReused, Door::Import) => {
            "báo cáo này đã được gửi trước đó với nội dung khác: tải lên lại".to_string()
        }
        (Refused::IdReused, Door::Review) => "Mã báo cáo không hợp lệ.".to_string(),
        (Refused::AlreadyReviewed, Door::Form) => "Phiên bản báo cáo này đã được xem xét.".to_string(),
        (Refused::AlreadyReviewed, Door::Import) => "phiên bản báo cáo này đã được xem xét".to_string(),
        (Refused::AlreadyReviewed, Door::Review) => "Phiên bản báo cáo này đã được phê duyệt hoặc trả lại trước đó; chỉ quyết định đầu tiên có hiệu lực. Đơn vị cần gửi bản cập nhật để được xem xét lại.".to_string(),
        (Refused::Unavailable, Door::Form) => "Chưa tiếp nhận được báo cáo: hệ thống truyền dữ liệu đang tạm gián đoạn. Nội dung bạn nhập vẫn còn nguyên; hãy bấm “Gửi báo cáo” lại sau ít phút (báo cáo sẽ không bị tính hai lần).".to_string(),
        (Refused::Unavailable, Door::Import) => "hệ thống truyền dữ liệu tạm gián đoạn, đơn vị chưa được ghi nhận: tải lên lại sau ít phút (không bị tính hai lần)".to_string(),
        (Refused::Unavailable, Door::Review) => "Chưa ghi nhận được quyết định: hệ thống truyền dữ liệu đang tạm gián đoạn. Hãy thực hiện lại sau ít phút.".to_string(),
        (Refused::UnknownUnit { code }, Door::Client) => {
            format!("Mã đơn vị “{code}” không có trong danh mục.")
        }
        (Refused::NotPermitted, Door::Client) => "Mã truy cập này không được làm việc này cho đơn vị này: sai đơn vị, đơn vị không thuộc cấp hoặc địa bàn của cổng tiếp nhận, hoặc không phải đơn vị duyệt. Kiểm tra mã đơn vị và địa chỉ cổng tiếp nhận.".to_string(),
        (Refused::RateLimited { wait_seconds }, Door::Client) => format!(
            "Đơn vị đã gửi quá nhiều lần trong một phút. Hãy gửi lại sau {} giây.",
            wait_seconds.max(1)
        ),
        (Refused::IdReused, Door::Client) => "Mã báo cáo (submission_id) này đã được dùng cho một nội dung khác; dùng mã mới để gửi bản cập nhật.".to_string(),
        (Refused::AlreadyReviewed, Door::Client) => "Phiên bản báo cáo này đã được phê duyệt hoặc trả lại trước đó; chỉ quyết định đầu tiên có hiệu lực.".to_string(),
        (Refused::Unavailable, Door::Client) => "Chưa tiếp nhận được: hệ thống truyền dữ liệu đang tạm gián đoạn. Gửi lại sau ít phút với cùng mã báo cáo (không bị tính hai lần).".to_string(),
        (Refused::Missing { field }, _) => format!("Thiếu thông tin ({field})."),
        (Refused::Invalid(violations), _) => violations
            .iter()
            .map(|v| v.reason_vi.as_str())
            .collect::<Vec<_>>()
            .join(" "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EVERY_REFUSAL: [Refused<'static>; 8] = [
        Refused::Missing { field: "report" },
        Refused::UnknownUnit { code: "38.X" },
        Refused::NotPermitted,
        Refused::RateLimited { wait_seconds: 0 },
        Refused::Invalid(&[]),
        Refused::IdReused,
        Refused::AlreadyReviewed,
        Refused::Unavailable,
    ];

    /// Every refusal says something at every door, in Vietnamese; an import's message
    /// follows a cell's name, so it starts in lower case.
    #[test]
    fn every_refusal_is_said_at_every_door() {
        for door in [Door::Form, Door::Import, Door::Review, Door::Client] {
            for refused in EVERY_REFUSAL {
                let said = said(refused, door);
                if matches!(refused, Refused::Invalid(_)) {
                    continue;
                }
                let text = said.sentence();
                assert!(!text.is_empty(), "{refused:?} at {door:?} says nothing");
                let first = text.chars().next().unwrap_or(' ');
                if door == Door::Import && said.fields.is_empty() {
                    assert!(first.is_lowercase(), "{text}");
                }
            }
        }
        let wait = said(Refused::RateLimited { wait_seconds: 0 }, Door::Form).notice;
        assert!(wait.contains("sau 1 giây"), "{wait}");
    }

    #[test]
    fn field_messages_stay_at_their_fields() {
        let violations = [Violation {
            field: "report.systems[0].name".into(),
            reason: "is required".into(),
            reason_vi: "Bắt buộc nhập tên hệ thống.".into(),
        }];
        let said = said(Refused::Invalid(&violations), Door::Form);
        assert_eq!(
            said.fields,
            [(
                "report.systems[0].name".to_string(),
                "Bắt buộc nhập tên hệ thống.".to_string()
            )]
        );
        assert_eq!(said.sentence(), "Bắt buộc nhập tên hệ thống.");
    }
}
