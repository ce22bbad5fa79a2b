"""The pages PR staff open on the phone: an incident (summary, examples with links, timeline, ack / assign /
resolve buttons) behind the signed link in every alert, and the reply queue behind its own signed link.

Each handler takes the daemon, the path's subject and the query or form fields, and returns a Page, so
the HTTP server (monitor/web.py) only routes. GET never changes anything (chat apps preview links); the
buttons POST with the link's signature.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from html import escape
from urllib.parse import quote

from monitor.alerting.acklink import QUEUE, AckLinkError
from monitor.alerting.message import SEVERITY_ZH, STATE_ZH
from monitor.incident import OPEN, RESOLVED

log = logging.getLogger(__name__)

DEFAULT_ACTOR = "ack-link"
REASONS_ZH = {"invalid signature": "链接签名不符（可能被改动或伪造）", "link expired": "链接已过期",
              "malformed link": "链接格式不正确"}
EVENT_ZH = {"opened": "开启", "updated": "扩大", "notified": "已通知", "escalated": "升级", "acked": "确认",
            "assigned": "指派", "note": "备注", "resolved": "恢复", "resolved_notice": "恢复通知", "muted": "静音",
            "unmuted": "解除静音", "delivery_failed": "投递失败", "fallback": "备用通道"}
QUEUE_STATE_ZH = {"ok": "未超时", "due_soon": "即将超时", "breached": "已超时", "snoozed": "已暂缓"}
SNOOZE_CHOICES = (("30m", "30 分钟"), ("2h", "2 小时"), ("1d", "1 天"))


@dataclass(frozen=True)
class Page:
    status: int
    title: str
    body: str


def _refused(exc: AckLinkError, hint: str) -> Page:
    reason = REASONS_ZH.get(str(exc), str(exc))
    return Page(403, "无法打开", f"<p>{escape(reason)}，此链接不能使用。</p><p>{hint}</p>")


def _links_or_page(daemon):
    links = daemon.ack_links
    if links is None:
        return None, Page(404, "链接未启用", "<p>请在配置的 http 中设置 public_url 与 ack_secret。</p>")
    return links, None


def _name(form: dict[str, str], key: str = "by") -> str:
    from monitor.sanitize import clean_name

    return clean_name(form.get(key)) or ""


def _note(form: dict[str, str]) -> str | None:
    from monitor.sanitize import clean_text

    return clean_text(form.get("note"), 200) or None


def _hidden(params: dict[str, str]) -> str:
    return "".join(f"<input type='hidden' name='{k}' value='{escape(params.get(k, ''))}'>" for k in ("exp", "sig"))


# the incident
def _incident_or_page(daemon, incident_id: str, params: dict[str, str]):
    links, page = _links_or_page(daemon)
    if page:
        return None, page
    try:
        links.verify(incident_id, params.get("exp", ""), params.get("sig", ""))
    except AckLinkError as exc:
        return None, _refused(exc, f"请使用告警消息中的最新链接，或在终端运行：<code>brandmon ack {escape(incident_id)}</code>")
    incident = daemon.store.get_incident(incident_id)
    if incident is None:
        return None, Page(404, "找不到事件", f"<p>没有编号为 {escape(incident_id)} 的事件。</p>")
    return incident, None


def incident_page(daemon, incident_id: str, params: dict[str, str], done: str = "") -> Page:
    incident, page = _incident_or_page(daemon, incident_id, params)
    if page:
        return page
    zone = daemon.settings.config.zone
    action = escape(f"/ack/{quote(incident.id)}")
    hidden = _hidden(params)
    head = (f"<p class='badge {escape(incident.severity)}'>{escape(SEVERITY_ZH.get(incident.severity, incident.severity))}"
            f" · {escape(STATE_ZH.get(incident.state, incident.state))}</p>"
            f"<p class='title'>{escape(incident.title)}</p><ul class='facts'>"
            f"<li>编号：{escape(incident.id)}</li><li>品牌：{escape(incident.brand)}</li>"
            f"<li>开始：{incident.opened_at.astimezone(zone):%m-%d %H:%M}（{escape(zone.key)}）</li>"
            f"<li>负责人：{escape(incident.assignee or '未指派')}</li>")
    if incident.acked_at:
        head += (f"<li>确认：{escape(incident.acked_by or '未知')}，"
                 f"{incident.acked_at.astimezone(zone):%m-%d %H:%M}</li>")
    head += "</ul>"
    if done:
        head = f"<p class='done' role='status'>{escape(done)}</p>" + head
    buttons = ""
    if incident.state == OPEN:
        buttons += (f"<form method='post' action='{action}' class='card'>{hidden}"
                    "<input type='hidden' name='action' value='ack'>"
                    "<label>您的名字（可选）<input name='by' maxlength='40'></label>"
                    "<button type='submit' id='ack'>确认，我来处理</button>"
                    "<p class='hint'>确认后升级通知停止；事件仍保持打开，直到恢复。</p></form>")
    if incident.state != RESOLVED:
        buttons += (f"<form method='post' action='{action}' class='card'>{hidden}"
                    "<input type='hidden' name='action' value='assign'>"
                    "<label>指派给<input name='to' maxlength='40' required></label>"
                    "<label>您的名字<input name='by' maxlength='40'></label>"
                    "<button type='submit' id='assign'>指派</button></form>"
                    f"<form method='post' action='{action}' class='card'>{hidden}"
                    "<input type='hidden' name='action' value='resolve'>"
                    "<label>处理说明<input name='note' maxlength='200'></label>"
                    "<label>您的名字<input name='by' maxlength='40'></label>"
                    "<button type='submit' id='resolve' class='secondary'>标记恢复</button></form>")
    examples = "".join(
        f"<li><a href='{escape(e.get('url') or '#')}'>{escape((e.get('text') or '')[:80])}</a>"
        f"<span class='meta'>{escape(e.get('author') or '匿名')} · {escape(e.get('platform') or '')}</span></li>"
        for e in incident.examples[:5])
    events = daemon.store.events(incident.id)
    timeline = "".join(
        f"<li><time>{e.at.astimezone(zone):%m-%d %H:%M}</time> {escape(EVENT_ZH.get(e.kind, e.kind))}："
        f"{escape(e.detail)}{('（' + escape(e.actor) + '）') if e.actor else ''}</li>" for e in events[-30:])
    if incident.rule == "reply_sla":
        head += f"<p><a id='queue' href='{escape(daemon.ack_links.link('queue', QUEUE))}'>打开回复队列</a></p>"
    body = (head + buttons + (f"<h2>示例</h2><ul class='examples'>{examples}</ul>" if examples else "")
            + f"<h2>时间线</h2><ol class='timeline'>{timeline}</ol>")
    return Page(200, "舆情事件", body)


def incident_post(daemon, incident_id: str, form: dict[str, str]) -> Page:
    incident, page = _incident_or_page(daemon, incident_id, form)
    if page:
        return page
    by = _name(form) or DEFAULT_ACTOR
    action = form.get("action") or "ack"
    if action == "ack":
        daemon.ack(incident.id, by)
        done = "已确认，升级通知已停止。"
    elif action == "assign":
        to = _name(form, "to")
        if not to:
            return Page(400, "缺少负责人", "<p>请填写要指派的人。</p>")
        daemon.incident_action("assign", incident.id, to, by)
        done = f"已指派给 {to}。"
    elif action == "resolve":
        daemon.incident_action("resolve", incident.id, by, _note(form))
        done = "已标记恢复，恢复通知已发出。"
    else:
        return Page(400, "未知操作", f"<p>不支持的操作：{escape(action)}</p>")
    past = {"ack": "acknowledged", "assign": "assigned", "resolve": "resolved"}[action]
    log.info("incident %s %s through its link by %s", incident.id, past, by)
    return incident_page(daemon, incident.id, form, done=done)


# the reply queue
def _queue_or_page(daemon, params: dict[str, str]):
    links, page = _links_or_page(daemon)
    if page:
        return page
    try:
        links.verify(QUEUE, params.get("exp", ""), params.get("sig", ""))
    except AckLinkError as exc:
        return _refused(exc, "请在终端运行 <code>brandmon queue --link</code> 获取新链接。")
    return None


def _desk(daemon):
    from monitor.reply.queue import ReplyDesk

    return ReplyDesk(daemon.settings.config, daemon.store, daemon.clock)


def queue_page(daemon, params: dict[str, str], done: str = "") -> Page:
    if page := _queue_or_page(daemon, params):
        return page
    desk = _desk(daemon)
    now = desk.clock.now()
    zone = daemon.settings.config.zone
    listing = desk.listing()
    items = listing.items
    hidden = _hidden(params)
    cards = []
    for item in items:
        m, mark = item.mention, item.mark
        age = int((now - m.published_at).total_seconds() // 60)
        categories = list(getattr(m, "categories", None) or [])
        ident = escape(m.id)
        snooze = "".join(f"<option value='{v}'>{label}</option>" for v, label in SNOOZE_CHOICES)
        cards.append(
            f"<li class='card {escape(item.state)}' data-id='{ident}'>"
            f"<p class='badge {escape(item.state)}'>{escape(QUEUE_STATE_ZH[item.state])} · 已等 {age // 60} 小时 "
            f"{age % 60} 分 / 时限 {int(item.tier.within.total_seconds() // 60)} 分</p>"
            f"<p><a href='{escape(m.url)}'>{escape(m.text[:120])}</a></p>"
            f"<p class='meta'>{escape(item.brand)} · {escape(m.author.name or '匿名')}"
            + (f"（{m.author.followers} 粉丝）" if m.author.followers else "")
            + f" · {m.published_at.astimezone(zone):%m-%d %H:%M}"
            + (f" · {escape('、'.join(categories))}" if categories else "")
            + (f" · 负责人 {escape(mark.assignee)}" if mark.assignee else "") + "</p>"
            f"<form method='post' action='/queue'>{hidden}<input type='hidden' name='id' value='{ident}'>"
            "<input name='by' maxlength='40' placeholder='您的名字'>"
            "<input name='note' maxlength='200' placeholder='处理说明（可选）'>"
            "<div class='row'><button name='action' value='handle'>已处理</button>"
            "<button name='action' value='assign' class='secondary'>我来回复</button>"
            f"<select name='for'>{snooze}</select>"
            "<button name='action' value='snooze' class='secondary'>暂缓</button></div></form></li>")
    head = f"<p class='done' role='status'>{escape(done)}</p>" if done else ""
    head += f"<p>待回复 {listing.total} 条，最早的在前" + (f"，显示前 {len(items)} 条" if listing.total > len(items)
                                                          else "") + "。</p>"
    body = head + (f"<ol class='queue'>{''.join(cards)}</ol>" if cards else "<p>回复队列为空。</p>")
    return Page(200, "回复队列", body)


def queue_post(daemon, form: dict[str, str]) -> Page:
    from monitor.config.durations import parse_duration

    if page := _queue_or_page(daemon, form):
        return page
    desk = _desk(daemon)
    mention_id, by, action = form.get("id", ""), _name(form) or DEFAULT_ACTOR, form.get("action", "")
    try:
        if action == "handle":
            desk.handle(mention_id, by, _note(form))
            done = "已标记处理，已移出队列。"
        elif action == "assign":
            desk.assign(mention_id, by, by)
            done = f"已指派给 {by}。"
        elif action == "snooze":
            span = parse_duration(form.get("for") or "2h")
            if span > timedelta(days=7):
                return Page(400, "暂缓太久", "<p>最多暂缓 7 天。</p>")
            desk.snooze(mention_id, span, by)
            done = "已暂缓。"
        else:
            return Page(400, "未知操作", f"<p>不支持的操作：{escape(action)}</p>")
    except KeyError:
        return Page(404, "找不到提及", f"<p>队列中没有 {escape(mention_id)}。</p>")
    except ValueError as exc:
        return Page(400, "时长不正确", f"<p>{escape(str(exc))}</p>")
    return queue_page(daemon, form, done=done)


STYLE = """body{font-family:-apple-system,"PingFang SC","Noto Sans CJK SC",sans-serif;margin:0 auto;max-width:40rem;
padding:.5rem .8rem;line-height:1.5;font-size:16px;color:#222}h1{font-size:1.3rem}h2{font-size:1.1rem;margin-top:1.2rem}
.title{font-weight:bold;font-size:1.1rem}.badge{display:inline-block;padding:.1rem .5rem;border-radius:.8rem;
background:#eee;font-size:.85rem;margin:.2rem 0}.badge.critical,.badge.breached{background:#d9534f;color:#fff}
.badge.warning,.badge.due_soon{background:#f0ad4e;color:#222}.card{border:1px solid #ddd;border-radius:.5rem;
padding:.6rem;margin:.6rem 0;list-style:none}label{display:block;margin:.3rem 0}input,select{font-size:1rem;
padding:.45rem;width:100%;box-sizing:border-box;margin:.2rem 0}button{font-size:1.05rem;padding:.6rem 1rem;
min-height:44px;border:0;border-radius:.4rem;background:#0b6efd;color:#fff;margin:.3rem .3rem 0 0}
button.secondary{background:#6c757d}.row{display:flex;flex-wrap:wrap;gap:.3rem;align-items:center}
.row select{width:auto;flex:1}.meta,.hint{color:#666;font-size:.85rem;display:block}.done{background:#e8f5e9;
padding:.5rem;border-radius:.4rem}ol,ul{padding-left:1.1rem}.queue{padding:0}.timeline li{font-size:.9rem}
a{color:#0b6efd;word-break:break-all}"""
