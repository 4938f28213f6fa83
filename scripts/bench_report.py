"""BENCHMARKS.md: every figure with its target, verdict and the command that produced it."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scripts.bench_load import MESSAGES, THINK_S, Run, SocketRun
from scripts.bench_stats import Summary, at_most, fmt_ms, summarize, verdict

P99_TARGET_MS = 100.0  # at 200 conversations, one message every 5 s each
REST_MARGIN_MS = 2.0
LABELS = {"ws": "websocket", "rest": "REST", "sio": "socket.io"}
HANDOFF_P99_MS = 50.0
ASSIST_P99_MS = 50.0  # drafts after the customer's message reached the agent, 20 busy agents (#23)
BYTES_PER_SOCKET = 50 * 1024
HISTORY_P99_MS = 200.0  # issue #24: search over 100,000 conversations


@dataclass
class Figure:
    name: str
    value: str
    target: str
    verdict: str
    command: str


@dataclass
class Report:
    machine: dict[str, Any]
    commit: str
    when: dt.datetime
    model: Path
    model_dir: str
    quick: bool
    full_command: str
    figures: list[Figure] = field(default_factory=list)
    latency_rows: list[tuple[str, str, Run, Summary]] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    settles: list[float] = field(default_factory=list)
    elapsed_s: float = 0.0
    _by_scenario: dict[str, dict[str, Summary]] = field(default_factory=dict)

    # --- recorders -------------------------------------------------------------------------------------
    def gateway_start(self, seconds: float, gateway_kib: int, worker_kibs: list[int]) -> None:
        workers = ", ".join(f"{kib / 1024:.0f} MiB" for kib in worker_kibs) or "none"
        self.extra.append(f"Gateway start-up (its model, then its NLU worker's) took {seconds:.0f} s. Resident "
                          f"memory once ready: gateway {gateway_kib / 1024:.0f} MiB, NLU worker(s) {workers}.")

    def note_settle(self, seconds: float) -> None:
        self.settles.append(seconds)

    def latency(self, scenario: str, channel: str, run: Run, cmd: str, level: int | None = None) -> None:
        s = summarize(run.latencies_ms)
        self.latency_rows.append((scenario, channel, run, s))
        pair = self._by_scenario.setdefault(scenario, {})
        pair[channel] = s
        for other in ("ws", "sio"):
            if "rest" in pair and other in pair and channel in (other, "rest"):
                mine, rest = pair[other], pair["rest"]
                ok = None if math.isnan(mine.p50) or math.isnan(rest.p50) else mine.p50 <= rest.p50 + REST_MARGIN_MS
                self.figures.append(Figure(f"{LABELS[other]} vs REST turn p50 — {scenario}",
                                           f"{other} {fmt_ms(mine.p50)} vs REST {fmt_ms(rest.p50)}",
                                           f"{other} ≤ REST + {REST_MARGIN_MS:.0f} ms", verdict(ok), cmd))
        if channel in ("ws", "sio") and level is not None:  # the websocket: the top level of the plan only
            ok = at_most(s.p99, P99_TARGET_MS)
            if run.unanswered:
                ok = False
            self.figures.append(Figure(f"{LABELS[channel]} turn p99 — {level} conversations × 1 msg/5 s",
                                       f"{fmt_ms(s.p99)} ({run.unanswered} of {run.sent} unanswered)",
                                       f"≤ {P99_TARGET_MS:.0f} ms", verdict(ok), cmd))

    def cpu_per_turn(self, scenario: str, runs: dict[str, Run], cmd: str) -> None:
        """What one turn costs the instance in CPU (gateway, all threads, plus its NLU worker; REST turns
        are parsed in the gateway itself): the bound on one instance's capacity."""
        if not all(r.answered for r in runs.values()):
            self.failed("cpu", "no answered turns")
            return
        value = " vs ".join(f"{c} {r.cpu_s * 1000 / r.answered:.1f} ms" for c, r in runs.items())
        self.figures.append(Figure(f"instance CPU per turn (gateway + NLU worker) — {scenario}", value,
                                   "(measured)", "n/a", cmd))

    def saturation(self, channel: str, conversations: int, run: Run, cmd: str) -> None:
        self.latency(f"closed loop (saturation), {conversations} conversations", channel, run, cmd)
        label = LABELS[channel]
        self.figures.append(Figure(f"throughput, one instance, {label}", f"{run.throughput:.1f} turns/s",
                                   "(measured)", "n/a", cmd))

    def redis_per_message(self, stats: dict[str, tuple[int, int]], run: Run, cmd: str) -> None:
        if not run.answered:
            self.failed("redis", "no answered turns")
            return
        calls = sum(c for c, _ in stats.values())
        usec = sum(u for _, u in stats.values())
        top = sorted(stats.items(), key=lambda kv: -kv[1][0])[:10]
        self.figures.append(Figure("Redis commands per customer message (websocket, bot mode)",
                                   f"{calls / run.answered:.1f} ({calls} calls / {run.answered} turns)",
                                   "(measured)", "n/a", cmd))
        self.figures.append(Figure("Redis CPU per customer message (INFO commandstats usec)",
                                   f"{usec / run.answered:.0f} µs", "(measured)", "n/a", cmd))
        self.extra.append("Redis commands per message, top 10: " + ", ".join(
            f"`{name}` {c / run.answered:.2f}" for name, (c, _) in top))

    def handoff(self, how: str, run: Run, cmd: str) -> None:
        s = summarize(run.latencies_ms)
        ok = at_most(s.p99, HANDOFF_P99_MS)
        if run.errors:
            ok = False
        self.figures.append(Figure(f"handoff to console, {how}: p50 / p99",
                                   f"{s.row()}" + (f", {run.errors} lost" if run.errors else ""),
                                   f"p99 ≤ {HANDOFF_P99_MS:.0f} ms", verdict(ok), cmd))

    def assist(self, run: Any, cmd: str) -> None:
        """Agent assist (scripts/bench_assist.py): drafts after the customer's message reached the agent."""
        s, e, first = summarize(run.to_agent_ms), summarize(run.end_to_end_ms), summarize(run.first_ms)
        ok = at_most(s.p99, ASSIST_P99_MS) and not run.missing
        self.figures.append(Figure("agent assist, 20 busy agents: customer message at the agent → its drafts "
                                   "(all three), p50 / p99",
                                   f"{s.row()}" + (f", {run.missing} without drafts" if run.missing else ""),
                                   f"p99 ≤ {ASSIST_P99_MS:.0f} ms", verdict(ok), cmd))
        self.figures.append(Figure("agent assist, 20 busy agents: customer message at the agent → the first "
                                   "drafts (past replies, before the parse), p50 / p99", first.row(),
                                   f"p99 ≤ {ASSIST_P99_MS:.0f} ms", verdict(at_most(first.p99, ASSIST_P99_MS)), cmd))
        self.figures.append(Figure("agent assist, 20 busy agents: customer's send → drafts at the agent "
                                   "(NLU included), p50 / p99", e.row(), "within 100 ms", verdict(at_most(e.p99, 100.0)),
                                   cmd))
        self.extra.append(f"Agent assist run: {run.sent} customer messages in {run.duration_s:.0f} s; "
                          f"{run.with_past} drafts sets carried an agent's past reply.")

    def assist_cost(self, result: dict[str, Any], cmd: str) -> None:
        self.figures.append(Figure(f"agent assist's own work per message (encode, search {result['entries']} "
                                   "past replies, choose, redact), in-process: p50 / p99",
                                   f"{fmt_ms(result['p50_ms'])} / {fmt_ms(result['p99_ms'])}", "(measured)", "n/a",
                                   cmd))

    def sockets(self, res: SocketRun, nofile: int, cmd: str) -> None:
        per = res.bytes_per_socket
        self.figures.append(Figure("idle customer sockets held by one instance",
                                   f"{res.reached} of {res.cap} tried (stopped by: {res.stopped_by}; "
                                   f"ulimit -n {nofile})", "(capped attempt)", "n/a", cmd))
        self.figures.append(Figure("memory per idle connection (gateway RSS delta / sockets)",
                                   "n/a" if math.isnan(per) else
                                   f"{per / 1024:.1f} KiB (RSS {res.rss_before_kib / 1024:.0f} → "
                                   f"{res.rss_after_kib / 1024:.0f} MiB)",
                                   "≤ 50 KiB", verdict(None if math.isnan(per) else per <= BYTES_PER_SOCKET), cmd))

    def throughput(self, conversations: int, one: Run, two: Run, cmd: str) -> None:
        ratio = two.throughput / one.throughput if one.throughput else float("nan")
        self.figures.append(Figure(f"throughput, closed loop, {conversations} websocket conversations",
                                   f"1 instance {one.throughput:.1f} turns/s; 2 instances sharing one Redis "
                                   f"{two.throughput:.1f} turns/s (×{ratio:.2f})", "(measured)", "n/a", cmd))
        self.latency_rows.append(("throughput run, 1 instance", "ws", one, summarize(one.latencies_ms)))
        self.latency_rows.append(("throughput run, 2 instances", "ws", two, summarize(two.latencies_ms)))

    def sentiment(self, result: dict[str, Any], cmd: str) -> None:
        self.figures.append(Figure("time the sentiment component adds per message (p50 / p99 / mean)",
                                   f"{result['p50_ms']:.2f} / {result['p99_ms']:.2f} / {result['mean_ms']:.2f} ms "
                                   f"(n={result['n']})", "(measured)", "n/a", cmd))

    def nlu(self, result: dict[str, Any], cmd: str, cached: bool) -> None:
        train = result.get("training_seconds")
        self.figures.append(Figure("NLU on the held-out split: accuracy / macro-F1 / top-intent accuracy",
                                   f"{result['accuracy']:.4f} / {result['macro_f1']:.4f} / "
                                   f"{result['top_intent_accuracy']:.4f} ({result.get('examples', '?')} messages, "
                                   f"{result.get('parse_ms_per_message', '?')} ms/message)", "(measured)", "n/a", cmd))
        self.figures.append(Figure("training time", "n/a" if train is None else f"{train:.0f} s",
                                   "(measured)", "n/a", cmd))

    def replicated_ack(self, result: dict[str, Any], cmd: str) -> None:
        """docs/deploy.md: REDIS_WAIT_REPLICAS=1 acknowledges a message once a replica has it."""
        cost = result["wait_p50"] - result["plain_p50"]
        self.figures.append(Figure(
            "cost of the replicated ack (WAIT 1): storing one message, p50 / p99, primary alone vs primary + replica",
            f"{fmt_ms(result['plain_p50'])} / {fmt_ms(result['plain_p99'])} vs {fmt_ms(result['wait_p50'])} / "
            f"{fmt_ms(result['wait_p99'])} (+{cost:.2f} ms at p50; n={result['n']} each, loopback)",
            "(measured)", "n/a", cmd))

    def cluster_turns(self, result: dict[str, Any], cmd: str) -> None:
        """docs/deploy.md "Redis Cluster": the storage path of a turn on one Redis and on 3 primaries."""
        self.figures.append(Figure(
            "turn on a Redis Cluster (3 primaries + 3 replicas) vs one Redis: the customer's message stored, the "
            "bot's answer stored and heard on another client's hub (no NLU), p50 / p99",
            f"one Redis {fmt_ms(result['single_p50'])} / {fmt_ms(result['single_p99'])}; cluster "
            f"{fmt_ms(result['cluster_p50'])} / {fmt_ms(result['cluster_p99'])} (n={result['n']} each over "
            f"{result['conversations']} conversations, alternating slices, same host, AOF fsync always)",
            "(measured)", "n/a", cmd))

    def history(self, result: dict[str, Any], cmd: str) -> None:
        """scripts/bench_history.py: the console's search over closed conversations (issue #24)."""
        self.figures.append(Figure(
            f"history search over {result['conversations']:,} closed conversations, p50 / p99 (max)",
            f"{result['p50_ms']:.1f} / {result['p99_ms']:.1f} ms ({result['max_ms']:.0f} ms; n={result['searches']}, "
            f"median {result['median_matches']} matches, largest {result['max_matches']}; index filled in "
            f"{result['fill_s']:.0f} s, Redis {result['redis_mib']:.0f} MiB; the script's own time inside Redis: "
            f"mean {result.get('redis_ms_per_search', float('nan')):.1f} ms, p99 "
            f"{result.get('redis_p99_ms', float('nan')):.1f} ms (n={result.get('redis_n', 0)}); p99 by search: "
            + ", ".join(f"{k} {v} ms" for k, v in result.get("p99_by_kind", {}).items()) + ")",
            f"p99 ≤ {HISTORY_P99_MS:.0f} ms", verdict(at_most(result["p99_ms"], HISTORY_P99_MS)), cmd))

    def failed(self, part: str, why: str) -> None:
        self.failures.append(f"{part}: {why}")

    # --- output ----------------------------------------------------------------------------------------
    def merged_into(self, previous: str, parts: set[str]) -> str:
        """`previous` (a report this class wrote) with the figure rows of `parts` replaced by this run's, and a
        note of the partial run; every other row and section kept as it was."""
        lines = previous.rstrip("\n").split("\n")
        ours = {f"--only {part}`" for part in parts}
        kept = [line for line in lines if not (line.startswith("| ") and any(o in line for o in ours))]
        rows = [f"| {f.name} | {f.value} | {f.target} | **{f.verdict}** | `{f.command}` |" for f in self.figures]
        table_end = max((i for i, line in enumerate(kept) if line.startswith("| ")), default=len(kept) - 1)
        if "## Figures" in kept:
            first_table = kept.index("## Figures")
            table_end = next((i for i in range(first_table + 3, len(kept)) if not kept[i].startswith("| ")),
                             len(kept)) - 1
        kept[table_end + 1:table_end + 1] = rows
        note = (f"- {', '.join(sorted(parts))}: measured {self.when:%Y-%m-%d %H:%M} UTC at commit `{self.commit}` "
                f"by a partial run (`--only`); the other rows are from the run above.")
        kept += ([] if "## Notes" in kept else ["", "## Notes", ""]) + [note]
        kept += [f"- {f}" for f in self.failures]
        return "\n".join(kept) + "\n"

    def markdown(self) -> str:
        m = self.machine
        lines = [
            "# Tandem benchmarks",
            "",
            f"Written by `{self.full_command}` (`make bench`){' — QUICK run: small concurrency, short runs' if self.quick else ''}.",
            "",
            f"- date: {self.when:%Y-%m-%d %H:%M} UTC; run took {self.elapsed_s / 60:.1f} min",
            f"- commit: `{self.commit}`",
            (f"- machine: {m['cpu']}, {m['cores']} cores, {m['ram_gib']:.1f} GiB RAM; {m['os']}; Python {m['python']}; "
            f"1-minute load average at start {m['load_1m']:.1f} (other work shares these cores)"),
            f"- model: `{self.model_dir}` (`{self.model.name}`)"
            + (" — the REDUCED test model: models/rasa was not trained" if "reduced" in self.model_dir else ""),
            ("- everything on loopback: a private Redis (AOF, fsync always), the rasa-sdk action server, gateway "
            "processes (`python -m handoff`, one Sanic worker with the Rasa agent in-process)"),
            (f"- clients: plain asyncio, websockets 10.4 (customer socket), aiohttp (Rasa's REST webhook "
            "`/webhooks/rest/webhook` on the same gateway and model) and the socket.io channel on its websocket "
            "transport (python-socketio's packet codecs, as rasa-webchat after its upgrade), the same "
            f"{len(MESSAGES)} routine Banking77 questions on every channel; a websocket or socket.io turn ends at "
            "the bot's `typing on:false` (`tandem_typing` on socket.io), sent after the turn's last message (the "
            f"moment REST returns); closed-loop clients pause {THINK_S * 1000:.0f} ms between an answer and "
            "their next message, on every channel; below the top load level the channels take turns in slices "
            "whose order rotates each round, each with fresh conversations, so the machine's drift falls on all "
            "alike; the top level, beyond one instance's capacity, runs once for ws and REST with the backlog "
            "drained in between"),
            "",
            "## Figures",
            "",
            "| figure | value | target | verdict | command |",
            "| --- | --- | --- | --- | --- |",
        ]
        lines += [f"| {f.name} | {f.value} | {f.target} | **{f.verdict}** | `{f.command}` |" for f in self.figures]
        if self.latency_rows:
            lines += ["", "## Turn latency, every run", "",
                      "| run | channel | p50 | p99 | mean | max | answered / sent | errors | handed off | turns/s |",
                      "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
            for scenario, channel, run, s in self.latency_rows:
                lines.append(f"| {scenario} | {LABELS[channel]} | {fmt_ms(s.p50)} | "
                             f"{fmt_ms(s.p99)} | {fmt_ms(s.mean)} | {fmt_ms(s.max)} | {run.answered} / {run.sent} | "
                             f"{run.errors} | {run.escalated} | {run.throughput:.1f} |")
        notes = list(self.extra)
        if self.settles:
            notes.append("Between open-loop runs the bench waits until a REST turn answers within 1 s (the backlog "
                         f"of an overloaded run is gone): {', '.join(f'{s:.0f}' for s in self.settles)} s.")
        if notes:
            lines += ["", "## Notes", ""] + [f"- {n}" for n in notes]
        if self.failures:
            lines += ["", "## Not measured", ""] + [f"- {f}" for f in self.failures]
        return "\n".join(lines) + "\n"
