//! `/runbook`: what each alert means and what to do, linked from every alert (`runbook_url`).

use super::layout::layout;
use maud::{html, Markup};

/// Each alert (rule): its name, its title in Vietnamese, what to do.
pub const ENTRIES: &[(&str, &str, &str)] = &[
    ("DvcUnitAtRisk", "Có nguy cơ không đạt chỉ tiêu trong tháng",
     "Tỷ lệ từ đầu tháng thấp hơn chỉ tiêu, nhưng vẫn có thể đạt nếu phần lớn hồ sơ còn lại trong tháng được xử lý trực tuyến toàn trình. Mở trang của đơn vị, xem mục «Điều gì làm giảm tỷ lệ»: hồ sơ nộp trực tiếp, trả kết quả trực tiếp, nộp phí trực tiếp; hướng dẫn người dân nộp trực tuyến, trả kết quả qua mạng hoặc bưu chính, thanh toán trực tuyến."),
    ("DvcUnitTargetUnreachable", "Không thể đạt chỉ tiêu trong tháng",
     "Kể cả khi mọi hồ sơ còn lại trong tháng đều toàn trình, tỷ lệ tháng vẫn dưới chỉ tiêu. Tập trung vào các thủ tục có nhiều hồ sơ chưa toàn trình để cải thiện từ tháng sau; kiểm tra dữ liệu nếu số liệu bất thường."),
    ("DvcUnitBehindLastMonth", "Không đạt chỉ tiêu tháng trước",
     "Tháng trước đã kết thúc dưới chỉ tiêu. Xem trang đơn vị tháng trước, so sánh với các đơn vị dẫn đầu cùng loại, lập kế hoạch khắc phục."),
    ("DvcUnitBehindSeveralMonths", "Không đạt chỉ tiêu nhiều tháng liên tiếp",
     "Gửi lãnh đạo tỉnh: đơn vị không đạt chỉ tiêu nhiều tháng liền. Đề nghị chỉ đạo, kiểm tra nguyên nhân (thủ tục chưa cung cấp trực tuyến toàn trình, thói quen nộp trực tiếp, thanh toán tại quầy)."),
    ("DvcSourceStale", "Hệ thống nguồn không gửi dữ liệu",
     "Không có sự kiện hợp lệ từ hệ thống giải quyết thủ tục hành chính trong nhiều giờ. Kiểm tra hệ thống nguồn, kết nối mạng, mã truy cập (token). Trong thời gian này cảnh báo của các đơn vị thuộc phạm vi hệ thống được tạm dừng để tránh báo sai."),
    ("DvcSourceHighRejectRate", "Nhiều sự kiện bị từ chối",
     "Một tỷ lệ lớn sự kiện gửi đến bị từ chối. Phản hồi của POST /api/v1/events ghi rõ lý do từng sự kiện (trường thiếu, mã đơn vị hoặc thủ tục không có trong danh mục, trùng mã với nội dung khác). Sửa bộ chuyển đổi của hệ thống nguồn hoặc cập nhật danh mục."),
];

pub async fn page() -> Markup {
    layout("Hướng dẫn xử lý cảnh báo", html! {
        h1 { "Hướng dẫn xử lý cảnh báo" }
        @for (name, title, text) in ENTRIES {
            section id=(name.to_lowercase()) {
                h2 { (title) " " span.muted { "(" (name) ")" } }
                p { (text) }
            }
        }
    })
}
