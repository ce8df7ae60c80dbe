"""Hostile text made inert per platform, and cut without breaking an escape."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from deploy_actions.notify.escape import ESCAPERS, clip, cut_escaped, discord, one_line, plain, slack, teams


def test_slack_shows_its_control_characters_as_entities_so_no_mention_or_link_is_sent() -> None:
    assert slack("<!channel> & <https://x|y>") == "&lt;!channel&gt; &amp; &lt;https://x|y&gt;"
    assert "@everyone" not in slack("@everyone") and "@here" not in slack("hi @HERE")


def test_discord_escapes_markdown_and_breaks_mass_mentions() -> None:
    assert discord("*a* _b_ `c` ~d~ |e| > [f](g) <@1> a-b #c") == (
        r"\*a\* \_b\_ \`c\` \~d\~ \|e\| > \[f\]\(g\) \<@1> a-b #c")
    assert discord("# heading\n> quote\n - item\n12. item") == "\\# heading\n\\> quote\n \\- item\n12\\. item"
    assert discord("1.2.3\n-rf\n#hashtag\n3) x") == "1.2.3\n-rf\n#hashtag\n3\\) x"  # no list, no heading: as is
    assert re.search("@(everyone|here)", discord("@everyone @here")) is None


def test_teams_escapes_its_markdown() -> None:
    assert teams("*a* [b](c) - d\n- e") == "\\*a\\* \\[b\\]\\(c\\) - d\n\\- e"


def test_line_and_paragraph_separators_become_newlines_and_control_characters_go() -> None:
    assert plain("a\u2028b\u2029c\r\nd\re\x85f\x1b[31mg\x07") == "a\nb\nc\nd\ne\nf[31mg"
    assert one_line("title\u2028with\nbreaks") == "title with breaks"


@given(st.text(alphabet=st.sampled_from(list("<>&*_`@everyonehr \\[]()\n\u2028x-#")), max_size=300),
       st.integers(min_value=0, max_value=120), st.sampled_from(sorted(ESCAPERS)))
def test_clip_stays_within_the_limit_and_never_cuts_inside_an_escape(text: str, limit: int, channel: str) -> None:
    escape = ESCAPERS[channel]
    out = clip(text, limit, escape)
    assert len(out) <= limit
    if len(escape(text)) <= limit:
        assert out == escape(text)
    body = out.removesuffix("…")
    if channel == "slack":
        assert re.search(r"&(?!amp;|lt;|gt;)", body) is None and "<" not in body and ">" not in body
    if channel in ("discord", "teams"):
        # every special character is escaped by an odd run of backslashes: none left acting
        assert re.search(r"(?<!\\)(\\\\)*[*_`\[\]()]", body) is None
        assert re.search(r"(?m)^[ \t]*([-#](?=[ \t]|$)|>)", body) is None
    assert re.search("@(everyone|here)", body) is None


@given(st.text(alphabet=st.sampled_from(list("&amp;lt\\x")), max_size=80), st.integers(min_value=0, max_value=60))
def test_cut_escaped_leaves_no_half_entity_or_dangling_backslash(text: str, limit: int) -> None:
    out = cut_escaped(text, limit)
    assert len(out) <= limit
    if len(text) > limit and limit > 1:
        body = out.removesuffix("…")
        assert re.search(r"&[#a-zA-Z0-9]{0,8}$", body) is None
        assert (len(body) - len(body.rstrip("\\"))) % 2 == 0
