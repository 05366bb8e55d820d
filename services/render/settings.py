"""Render's own settings (`SINMUN_RENDER_…`): the site's identity and what its pages need."""

from __future__ import annotations

from pydantic import BaseModel, Field

from shared.settings import SinmunSettings


class CompanyDetails(BaseModel):
    """The publisher's legal details for the footer. The defaults are placeholders, not any
    real newspaper's: set them for your paper."""

    name: str = "신문 Sinmun (예시)"
    registration_number: str = "000-00-00000"  # 사업자등록번호
    address: str = "경상북도 포항시 (주소를 설정하세요)"
    publisher: str = "홍길동"  # 발행인·편집인
    youth_officer: str = "홍길동"  # 청소년보호책임자
    email: str = "desk@example.kr"
    phone: str = "000-000-0000"
    fax: str = ""
    periodical_number: str = "경북, 아00000"  # 정기간행물 등록번호


class RenderSettings(SinmunSettings):
    render_site_name: str = Field(default="신문 Sinmun", description="the paper's name")
    render_public_url: str = Field(
        default="http://127.0.0.1:8080",
        description="the site's public base URL (canonical links, feeds, sitemaps, share links)",
    )
    render_search_api_url: str = Field(
        default="",
        description="base URL of the search service's HTTP API (empty: this process's own "
        "address, as when embedded)",
    )
    render_company: CompanyDetails = Field(
        default_factory=CompanyDetails, description="the footer's company details as JSON"
    )
    render_most_viewed_window_h: float = Field(
        default=24.0, gt=0, description="the sliding window of 실시간 많이본 뉴스, in hours"
    )
    render_most_viewed_refresh_s: float = Field(
        default=10.0,
        gt=0,
        description="how often each replica recomputes 실시간 많이본 뉴스 from the shared counts",
    )
    render_view_dedup_min: float = Field(
        default=30.0,
        gt=0,
        description="a visitor's repeated views of one article within this many minutes count once",
    )
    render_boards: dict[str, str] = Field(
        default_factory=lambda: {"notice": "공지사항", "free": "자유게시판"},
        description="the community boards shown in the menu, as JSON {slug: name}",
    )
