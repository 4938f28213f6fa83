"""The console as an agent sees and uses it, for the browser tests (a page object, not a test module)."""

from __future__ import annotations

from playwright.sync_api import Locator, Page, expect

Account = tuple[str, str, str, str, int]  # username, password, role, display name, capacity


class Console:
    """The console as an agent sees it."""

    def __init__(self, page: Page, base_url: str) -> None:
        self.page, self.base = page, base_url
        self.login_error = page.locator("#login-error")
        self.queue = page.locator("[data-testid=queue-item]")
        self.pane = page.locator(".conversation:not([hidden])")
        self.toast = page.locator("#toast")

    def sign_in(self, account: Account, *, password: str | None = None, ok: bool = True) -> Console:
        self.page.goto(self.base + "/console")
        self.page.get_by_label("Username").fill(account[0])
        self.page.get_by_label("Password").fill(password or account[1])
        self.page.get_by_role("button", name="Sign in").click()
        if ok:
            expect(self.page.locator("#conn-status")).to_have_text("Connected")
            expect(self.page.locator("#me-name")).to_have_text(account[3])
        return self

    def row(self, customer: str) -> Locator:
        return self.queue.filter(has_text=customer)

    def claim(self, customer: str) -> None:
        self.row(customer).get_by_role("button", name="Claim").click()
        expect(self.pane.locator(".conv-name")).to_have_text(customer)

    def tab(self, customer: str) -> Locator:
        return self.page.locator(".tab-conv").filter(has_text=customer)

    def messages(self, sender: str) -> Locator:
        return self.pane.locator(f".msg-{sender}:not(.pending)")

    def write(self, text: str, note: bool = False) -> None:
        self.pane.get_by_label("Private note").set_checked(note)
        box = self.pane.get_by_role("textbox", name="Reply")
        box.fill(text)
        box.press("Enter")

    def raw_socket_error(self, frame: str) -> str:
        """Send one frame on a second socket of this signed-in page (its cookie); the error code it gets."""
        return self.page.evaluate(
            """(frame) => new Promise((resolve) => {
                 const ws = new WebSocket(`ws://${location.host}/ws/agent`);
                 ws.onopen = () => { ws.send(JSON.stringify({type: "hello"})); ws.send(frame); };
                 ws.onmessage = (e) => {
                   const f = JSON.parse(e.data);
                   if (f.type === "error" || f.type === "transcript") { ws.close(); resolve(f.code || f.type); }
                 };
               })""",
            frame,
        )
