//! What a unit receives: the reminder's subject and body in Vietnamese, naming what is
//! due and by when, who urges, and how to report.

use baocao_registry::{Campaign, Milestone};
use chrono::NaiveDate;
use sha2::{Digest, Sha256};

use crate::{LateStatus, PlannedReminder};

/// One reminder to send on one channel.
#[derive(Clone, Debug)]
pub struct Reminder {
    /// `campaign/milestone/step/unit/channel`: the record key, unique per reminder.
    pub key: String,
    /// `email` or `webhook`.
    pub channel: &'static str,
    /// What it is about.
    pub planned: PlannedReminder,
    /// Its text.
    pub text: ReminderText,
    /// Stable id of the message: the same reminder always has the same one, so a
    /// message sent again after a crash is recognisably the same (Message-ID).
    pub message_id: String,
}

/// A reminder's words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReminderText {
    /// The e-mail subject (and the SMS's first line).
    pub subject: String,
    /// The body, plain text.
    pub body: String,
}

fn vn(day: NaiveDate) -> String {
    day.format("%d/%m/%Y").to_string()
}

impl Reminder {
    /// The reminder of `planned` on `channel`; `domain` is the sender's (for the
    /// Message-ID), `portal_url` where to report (may be empty).
    pub fn new(
        campaign: &Campaign,
        milestone: &Milestone,
        planned: PlannedReminder,
        channel: &'static str,
        domain: &str,
        portal_url: &str,
    ) -> Self {
        let key = format!(
            "{}/{}/{}/{}/{channel}",
            campaign.id, milestone.id, planned.step.id, planned.unit.code
        );
        let digest = Sha256::digest(key.as_bytes());
        let hex: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
        let message_id = format!("<{hex}.{}@{domain}>", planned.step.id.replace('+', "p"));
        let text = reminder_text(campaign, milestone, &planned, portal_url);
        Reminder {
            key,
            channel,
            planned,
            text,
            message_id,
        }
    }
}

/// The Vietnamese text: before the deadline an advance notice, after it an urging.
pub fn reminder_text(
    campaign: &Campaign,
    milestone: &Milestone,
    planned: &PlannedReminder,
    portal_url: &str,
) -> ReminderText {
    let issuer = &campaign.document.issuer_name;
    let due = vn(milestone.unit_deadline);
    let late = planned.step.date > milestone.unit_deadline;
    let subject = if late {
        format!(
            "[Đôn đốc] Đơn vị chưa gửi báo cáo “{}” (hạn {due})",
            milestone.name
        )
    } else {
        format!("[Nhắc hạn] Báo cáo “{}” — hạn {due}", milestone.name)
    };
    let situation = match planned.status {
        LateStatus::Missing => format!(
            "Đến ngày {}, {issuer} chưa nhận được báo cáo của đơn vị.",
            vn(planned.step.date)
        ),
        LateStatus::NotUpdated(last) => format!(
            "Đơn vị đã báo cáo ngày {}, nhưng chưa cập nhật báo cáo cho nội dung này (tính từ ngày {}).",
            vn(last),
            vn(milestone.opens_on)
        ),
    };
    let ask = if late {
        let days = (planned.step.date - milestone.unit_deadline).num_days();
        format!(
            "Báo cáo đã quá hạn {days} ngày. Đề nghị đơn vị khẩn trương gửi báo cáo để {issuer} tổng hợp, báo cáo Chủ tịch Ủy ban nhân dân tỉnh trước ngày {}.",
            vn(baocao_registry::answer_by(
                milestone.report_deadline,
                planned.step.date
            ))
        )
    } else {
        format!("Đề nghị đơn vị gửi báo cáo trước ngày {due}.")
    };
    let how = if portal_url.is_empty() {
        "Đơn vị gửi báo cáo trên cổng báo cáo hoặc bằng biểu mẫu Excel theo hướng dẫn.".to_string()
    } else {
        format!("Đơn vị gửi báo cáo tại {portal_url} (mục “Báo cáo” hoặc “Nhập bằng Excel”).")
    };
    let body = format!(
        "Kính gửi: {name}\n\n\
         Thực hiện {basis} ({campaign}), các cơ quan, đơn vị báo cáo “{milestone}” trước ngày {due}.\n\n\
         {situation} {ask}\n\n\
         {how}\n\
         Mã đơn vị: {code}. Nếu đơn vị đã gửi báo cáo sau thời điểm thư này được lập, xin bỏ qua thư này.\n\n\
         {issuer}\n\
         (Thư gửi tự động từ hệ thống baocao; đề nghị không trả lời thư này nếu không có nội dung cần trao đổi.)\n",
        name = planned.unit.name,
        basis = if campaign.legal_basis.is_empty() {
            &campaign.name
        } else {
            &campaign.legal_basis
        },
        campaign = campaign.name,
        milestone = milestone.name,
        code = planned.unit.code,
    );
    ReminderText { subject, body }
}
