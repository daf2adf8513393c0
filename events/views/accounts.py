"""Sign up, log in, log out, account page."""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from events import changes, flash, login_throttle, ratelimit, signup_pending
from events.access import require_member
from events.auth import (
    current_member,
    end_all_sessions,
    end_session,
    safe_next,
    start_session,
)
from events.forms import password_reset as reset_form
from events.forms import signup as signup_fields
from events.forms.fields import email_address, is_email
from events.services import accounts, listings, pages
from events.services.feeds import feed_links
from events.settings import settings_of
from events.templating import render
from events.tokens import tokens_of
from events.web import form_data

SIGNUP_LIMIT = (10, 3600)
RESEND_LIMIT_ADDRESS = (3, 3600)  # links asked again per address an hour
RESEND_LIMIT_IP = (10, 3600)
_EVENT_NEXT = re.compile(r"^/events/(\d{1,18})(?:[/?#]|$)")


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def way_back(next_path: str) -> dict[str, str]:
    """What the login and sign-up pages say about where the visitor is headed: the event's
    title when `next` is an event page (public already: it is on that page)."""
    match = _EVENT_NEXT.match(next_path)
    if not match:
        return {}
    event = await listings.get_event(int(match.group(1)))
    if event is None:
        return {}
    changes.depends_on(event_id=int(event["id"]))
    return {"title": str(event["title"]), "club": str(event["club_name"])}


async def login_form(request: Request) -> Response:
    if current_member(request):
        return RedirectResponse(safe_next(request.query_params.get("next")), status_code=303)
    next_path = safe_next(request.query_params.get("next"))
    return render(
        request,
        "login.html",
        {"next": next_path, "email": "", "heading_for": await way_back(next_path)},
    )


async def login(request: Request) -> Response:
    data = await form_data(request)
    email = email_address(data)
    next_path = safe_next(data.get("next"))
    attempt = login_throttle.LoginAttempt(
        request.app.state.redis, email, client_ip(request), settings_of(request).secret_key
    )
    if not await attempt.start():
        message = "Too many tries. Please wait a few minutes and try again."
        if attempt.unfamiliar:
            message = (
                "Too many tries for this account from places it does not usually sign in from. "
                "Sign in where you usually do, or reset your password by email."
            )
        return render(
            request,
            "login.html",
            {
                "next": next_path,
                "email": email,
                "message": message,
                "heading_for": await way_back(next_path),
            },
            status_code=429,
            headers={"Retry-After": str(attempt.retry_after)},
        )
    member_id = await accounts.authenticate(email, data.get("password", "")[:200])
    if member_id is None:
        return render(
            request,
            "login.html",
            {
                "next": next_path,
                "email": email,
                "message": "That email and password don't match an account.",
                "heading_for": await way_back(next_path),
            },
            status_code=422,
        )
    await attempt.succeeded()
    await end_session(request, Response())  # a fresh session id on every login
    response = RedirectResponse(next_path, status_code=303)
    await start_session(request, response, member_id)
    return response


async def logout(request: Request) -> Response:
    response = RedirectResponse("/", status_code=303)
    await end_session(request, response)
    response.headers["Clear-Site-Data"] = '"cache", "storage"'
    return response


async def signup_form(request: Request) -> Response:
    next_path = safe_next(request.query_params.get("next"), "")
    return render(
        request,
        "signup.html",
        {
            "form": signup_fields.SignupForm("", "", ""),
            "errors": {},
            "next": next_path,
            "heading_for": await way_back(next_path),
        },
    )


async def signup(request: Request) -> Response:
    data = await form_data(request)
    form, errors = signup_fields.parse(data)
    next_path = safe_next(data.get("next"), "")
    if errors:
        form.password = ""
        context = {
            "form": form,
            "errors": errors,
            "next": next_path,
            "heading_for": await way_back(next_path),
        }
        return render(request, "signup.html", context, status_code=422)
    if not await ratelimit.allow(
        request.app.state.redis, f"signup:ip:{client_ip(request)}", *SIGNUP_LIMIT
    ):
        return render(
            request,
            "error.html",
            {
                "heading": "Slow down",
                "message": "Too many sign-ups from here. Please try again later.",
            },
            status_code=429,
        )
    await accounts.sign_up(tokens_of(request), form, next_path)
    response = RedirectResponse("/signup/sent", status_code=303)
    signup_pending.remember(request, response, form.email, next_path)
    return response


async def signup_sent(request: Request, message: str = "", status_code: int = 200) -> Response:
    pending = signup_pending.read(request)
    return render(
        request,
        "signup_sent.html",
        {"address": pending[0] if pending else "", "message": message},
        status_code=status_code,
        headers={"Cache-Control": "no-store"} if pending else None,
    )


async def signup_resend(request: Request) -> Response:
    """Send the sign-up link again to the address this browser signed up with. The answer is
    the same whether or not that address has an account (or a confirmed one)."""
    pending = signup_pending.read(request)
    if pending is None:
        return RedirectResponse("/signup", status_code=303)
    email, next_path = pending
    redis = request.app.state.redis
    allowed = await ratelimit.allow(redis, f"resend:ip:{client_ip(request)}", *RESEND_LIMIT_IP)
    allowed = await ratelimit.allow(redis, f"resend:email:{email}", *RESEND_LIMIT_ADDRESS) and (
        allowed
    )
    if not allowed:
        text = (
            "We've sent several links already. Please give them a few minutes and look in "
            "the spam folder; you can ask again in an hour."
        )
        response = await signup_sent(request, text, 429)
        response.headers["Retry-After"] = "3600"
        return response
    await accounts.resend_confirmation(tokens_of(request), email, next_path)
    return flash.redirect(request, "/signup/sent", f"We sent a new link to {email}.")


async def signup_confirm_page(request: Request) -> Response:
    token = request.query_params.get("token", "")[:200]
    if await accounts.read_confirm_token(tokens_of(request), token) is None:
        return await _confirm_link_refused(request, token)
    next_path = safe_next(request.query_params.get("next"), "")
    return render(
        request,
        "signup_confirm.html",
        {"token": token, "valid": True, "next": next_path},
        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
    )


async def signup_confirm(request: Request) -> Response:
    data = await form_data(request)
    token = data.get("token", "")[:200]
    member_id = await accounts.use_confirm_token(tokens_of(request), token)
    if member_id is None:
        return await _confirm_link_refused(request, token)
    await end_session(request, Response())
    # Back where they were going (an event, a club), else their account.
    response = flash.redirect(
        request, safe_next(data.get("next"), "/account"), "Welcome — you're signed in."
    )
    signup_pending.forget(request, response)
    await start_session(request, response, member_id)
    return response


async def _confirm_link_refused(request: Request, token: str) -> Response:
    """A link that signed someone in once never does again: say so, and offer to log in."""
    if await accounts.confirm_link_used(tokens_of(request), token):
        return render(request, "link_used.html", {"purpose": "signup"}, status_code=410)
    return render(request, "signup_confirm.html", {"valid": False}, status_code=410)


async def account(request: Request) -> Response:
    member = require_member(request)
    page = await pages.account_page(member.id)
    token = tokens_of(request).feed_token(member.id, page.feed_token_version)
    url = f"{settings_of(request).base_url}/me/calendar/{token}.ics"
    return render(
        request,
        "account.html",
        {**page.context(), "calendar_feed": feed_links(url)},
        headers={"Cache-Control": "no-store"},
    )


async def password_forgot_form(request: Request) -> Response:
    return render(request, "password_forgot.html", {"sent": False})


async def password_forgot(request: Request) -> Response:
    data = await form_data(request)
    email = email_address(data)
    redis = request.app.state.redis
    allowed = await ratelimit.allow(redis, f"reset:ip:{client_ip(request)}", *SIGNUP_LIMIT)
    allowed = await ratelimit.allow(redis, f"reset:email:{email}", 3, 3600) and allowed
    if allowed and is_email(email):
        await accounts.request_password_reset(tokens_of(request), email)
    # The same page whether or not the address has an account, and whether or not it was limited.
    return render(request, "password_forgot.html", {"sent": True})


async def password_reset_form(request: Request) -> Response:
    token = request.query_params.get("token", "")[:200]
    if await accounts.read_reset_token(tokens_of(request), token) is None:
        return _reset_link_refused(request)
    return render(
        request,
        "password_reset.html",
        {"token": token, "valid": True, "errors": {}},
        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
    )


async def password_reset(request: Request) -> Response:
    reset, errors = reset_form.parse(await form_data(request))
    if await accounts.read_reset_token(tokens_of(request), reset.token) is None:
        return _reset_link_refused(request)
    if errors:
        return render(
            request,
            "password_reset.html",
            {"token": reset.token, "valid": True, "errors": errors},
            status_code=422,
        )
    member_id = await accounts.use_reset_token(tokens_of(request), reset.token, reset.password)
    if member_id is None:  # used meanwhile, by a concurrent request
        return _reset_link_refused(request)
    await end_all_sessions(member_id)  # every other device is signed out
    response = RedirectResponse("/account", status_code=303)
    await start_session(request, response, member_id)
    return response


def _reset_link_refused(request: Request) -> Response:
    # Using a reset link changes the password hash it is bound to, so a used link and an
    # expired one look alike here: the page covers both and offers to log in.
    return render(
        request,
        "link_used.html",
        {"purpose": "reset"},
        status_code=410,
        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
    )


routes = [
    Route("/login", login_form, methods=["GET"], name="login"),
    Route("/login", login, methods=["POST"]),
    Route("/logout", logout, methods=["POST"], name="logout"),
    Route("/signup", signup_form, methods=["GET"], name="signup"),
    Route("/signup", signup, methods=["POST"]),
    Route("/signup/sent", signup_sent, name="signup_sent"),
    Route("/signup/resend", signup_resend, methods=["POST"], name="signup_resend"),
    Route("/signup/confirm", signup_confirm_page, methods=["GET"], name="signup_confirm"),
    Route("/signup/confirm", signup_confirm, methods=["POST"]),
    Route("/account", account, name="account"),
    Route("/password/forgot", password_forgot_form, methods=["GET"], name="password_forgot"),
    Route("/password/forgot", password_forgot, methods=["POST"]),
    Route("/password/reset", password_reset_form, methods=["GET"], name="password_reset"),
    Route("/password/reset", password_reset, methods=["POST"]),
]
