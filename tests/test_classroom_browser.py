"""A class session in a real browser (Debian's chromium via Playwright):
the facilitator and three groups, each in its own browser context, play
Paris 2015 to day 30 with one injected event; the debrief file is
downloaded and read back with sim.load_session. Screenshots (1280x720) go
to results/screenshots/."""

from __future__ import annotations

import re

import pytest

import sim
from tests.test_app_browser import CHROMIUM, CHROMIUM_ARGS, SHOTS, TIMEOUT_MS, _choose, app_url  # noqa: F401

GROUPS = (("Blue", "France"), ("Red", "Denmark"), ("Green", "Belgium"))
VIEW = {"width": 1280, "height": 720}


def _status(page) -> str:
    return page.locator(".status-line").first.inner_text()


def _day(page) -> int:
    return int(re.search(r"Day (\d+) of", _status(page)).group(1))


def _inside_viewport(page, css: str) -> bool:
    box = page.locator(css).first.bounding_box()
    return box is not None and box["x"] >= 0 and box["y"] >= 0 and \
        box["x"] + box["width"] <= VIEW["width"] and box["y"] + box["height"] <= VIEW["height"]


def _font_px(page, css: str) -> float:
    return page.evaluate("(css) => parseFloat(getComputedStyle(document.querySelector(css)).fontSize)", css)


def test_a_class_plays_paris_to_day_30(app_url, tmp_path):  # noqa: F811
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import expect, sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            teacher = browser.new_context(viewport=VIEW, accept_downloads=True).new_page()
            teacher.set_default_timeout(TIMEOUT_MS)
            teacher.goto(app_url + "facilitator")
            teacher.get_by_role("button", name="Start a session").click()
            code = teacher.locator(".join-code").first.inner_text().strip()
            assert re.fullmatch(r"[A-Z0-9]{4}", code)
            teacher.screenshot(path=str(SHOTS / "classroom-facilitator-start.png"))

            groups = {}
            for name, state in GROUPS:
                page = browser.new_context(viewport=VIEW).new_page()
                page.set_default_timeout(TIMEOUT_MS)
                page.goto(app_url + "join")
                page.locator(".join-code-input input").fill(code.lower())  # the code is read in any case
                page.locator(".group-name-input input").fill(name)
                page.get_by_role("button", name="Join").click()
                expect(page.locator(".status-line").first).to_contain_text("not started")
                _choose(page, "Claim a state", state, exact=True)
                expect(page.get_by_text(f"Your group plays {state}")).to_be_visible()
                groups[name] = page
            brief = groups["Red"].locator(".briefing")
            expect(brief).to_contain_text("Folketing")
            expect(brief).to_contain_text("NATO member since 1949")
            groups["Red"].screenshot(path=str(SHOTS / "classroom-join-briefing.png"))

            teacher.get_by_role("tab", name="Groups and states").click()
            for name, state in GROUPS:
                expect(teacher.locator(".groups-table")).to_contain_text(state)
            teacher.screenshot(path=str(SHOTS / "classroom-facilitator-groups.png"))
            teacher.get_by_role("button", name=re.compile("Start the run")).click()
            teacher.get_by_role("tab", name="Run").click()
            teacher.get_by_role("button", name=re.compile("Run to day")).click()
            expect(teacher.locator(".status-line").first).to_contain_text("waiting for")
            # The console at 1280x720: the status, the waiting line and the
            # controls on screen, text at least 16 px.
            for css in (".join-code", ".status-line", ".waiting", ".skip-wait", ".step-day", ".run-to"):
                assert _inside_viewport(teacher, css), f"{css} is outside the 1280x720 screen"
            assert _font_px(teacher, ".waiting") >= 16
            teacher.screenshot(path=str(SHOTS / "classroom-facilitator-waiting.png"))

            # The groups answer (each on its own page) until day 3.
            answered, shot = 0, False
            while _day(teacher) < 3:
                status = _status(teacher)
                waiting = status.split("waiting for")[-1] if "waiting for" in status else ""
                name = next((n for n, _ in GROUPS if n in waiting), None)
                if name is None:
                    break
                page = groups[name]
                question = page.locator(".question").first
                expect(question).to_be_visible()
                if not shot and name == "Red":
                    assert _font_px(page, ".question .option") >= 16
                    expect(question).not_to_contain_text("model's value")  # the hints are hidden
                    page.screenshot(path=str(SHOTS / "classroom-join-question.png"))
                    shot = True
                before = question.inner_text()
                question.locator(".option").first.click()
                answered += 1
                for _ in range(150):  # the answer reaches the shared run
                    if _status(teacher) != status or page.locator(".question").count() == 0 \
                            or page.locator(".question").first.inner_text() != before:
                        break
                    page.wait_for_timeout(100)
                else:
                    pytest.fail(f"{name}'s answer changed nothing")
            assert answered >= 3

            # The map of the shared run, in a tab of its own.
            teacher.get_by_role("tab", name="Map", exact=True).click()
            expect(teacher.locator(".map-view img").first).to_be_visible()
            teacher.wait_for_timeout(800)  # the tab's slide
            assert _inside_viewport(teacher, ".map-view img"), "the console's map runs off the 1280x720 screen"
            teacher.screenshot(path=str(SHOTS / "classroom-facilitator-map.png"))

            teacher.get_by_role("tab", name="Inject an event").click()
            teacher.locator(".inject-day input").fill("10")
            _choose(teacher, "target", "Belgium", exact=True)
            teacher.locator(".inject-deaths input").fill("32")
            teacher.locator(".inject-description input").fill("Bombings in Brussels")
            teacher.screenshot(path=str(SHOTS / "classroom-facilitator-inject.png"))
            teacher.get_by_role("button", name="Inject the event").click()
            expect(teacher.get_by_role("alert").filter(has_text="Injected for day 10")).to_be_visible()

            # The teacher lets the model decide for the groups up to day 30.
            teacher.get_by_role("tab", name="Run").click()
            for _ in range(200):
                if _day(teacher) >= 30:
                    break
                skip = teacher.locator(".skip-wait")
                if skip.count():
                    try:  # the button goes when the run moves on: a missed click is retried
                        skip.first.click(timeout=2000)
                    except PlaywrightTimeout:
                        pass
                teacher.wait_for_timeout(150)
            expect(teacher.locator(".status-line").first).to_contain_text("Day 30 of 120")
            teacher.get_by_role("tab", name="Decide for a group").click()
            teacher.wait_for_timeout(800)
            teacher.screenshot(path=str(SHOTS / "classroom-facilitator-decide.png"))
            teacher.get_by_role("tab", name="Run").click()
            teacher.wait_for_timeout(800)
            teacher.screenshot(path=str(SHOTS / "classroom-facilitator-day30.png"))

            green = groups["Green"]
            green.get_by_role("tab", name="World news").click()
            expect(green.locator(".event-log")).to_contain_text("Bombings in Brussels")
            expect(green.locator(".status-line").first).to_contain_text("Day 30 of 120")
            green.get_by_role("tab", name="Other groups' moves").click()
            expect(green.get_by_text("Blue plays France")).to_be_visible()
            green.wait_for_timeout(800)  # the tab's slide
            green.screenshot(path=str(SHOTS / "classroom-join-moves.png"))

            teacher.get_by_role("tab", name="Debrief").click()
            with teacher.expect_download() as download:
                teacher.locator(".download-session").get_by_role("button").click()
            path = tmp_path / "session.json"
            download.value.save_as(path)
            teacher.get_by_role("button", name=re.compile("Compare with")).click()
            expect(teacher.locator(".compare-table")).to_contain_text("Article 5 invoked")
            teacher.screenshot(path=str(SHOTS / "classroom-facilitator-debrief.png"))
            figure = teacher.locator(".compare-figure img").first
            expect(figure).to_be_visible()
            figure.scroll_into_view_if_needed()
            teacher.screenshot(path=str(SHOTS / "classroom-facilitator-debrief-figure.png"))
        finally:
            browser.close()

    record = sim.load_session(path)
    assert record.settings["day_reached"] == 30
    assert record.settings["code"] == code
    assert set(record.groups["state"]) == {"FRA", "DNK", "BEL"}
    by = record.choices["decided_by"].value_counts().to_dict()
    assert by.get("group", 0) >= 3 and by.get("model (wait skipped)", 0) >= 1
    assert {"choice", "model_choice", "same_as_model"} <= set(record.choices.columns)
    assert len(record.injects) == 1 and record.injects.iloc[0]["target"] == "BEL"
    assert record.events["text"].str.contains("Bombings in Brussels").any()
    assert record.events["decided_by"].str.startswith("group").any()
    assert not record.votes.empty
