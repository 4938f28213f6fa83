"""`python -m scripts.bench --out BENCHMARKS.md [--model models/rasa] [--quick] [--only PART ...]`

Starts a private Redis, the action server and gateway processes on loopback, drives them with the same
routine questions through the customer websocket, Rasa's REST webhook and the socket.io channel, and writes every figure with its
target, verdict and the command that produced it. Bounded: the full run takes about 6 minutes on 2 quiet
cores (13 when other work shared them).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scripts import bench_assist
from scripts import bench_env as env
from scripts import bench_load as load
from scripts.bench_report import Report

PARTS = ("latency", "saturation", "handoff", "sockets", "throughput", "sentiment", "nlu", "replication", "cluster",
         "history", "assist")
OFFLINE = {"sentiment", "nlu", "replication", "cluster", "history"}  # parts that start what they measure themselves


@dataclass(frozen=True)
class Plan:
    levels: tuple[int, ...]
    level_s: dict[int, float]
    single_s: float  # closed loop, one conversation: the uncontended turn
    saturation_conversations: int
    saturation_s: float
    handoffs: int
    socket_cap: int
    sentiment_n: int
    rounds: int  # one conversation: alternating websocket/REST slices (scripts/bench_load.alternating)
    assist_s: float = 40.0  # 20 busy agents with drafts (scripts/bench_assist.py)


# The open-loop runs above capacity are short: their backlog must drain before the next run starts.
FULL = Plan((1, 50, 200), {1: 120, 50: 48, 200: 10}, 30, 32, 20, 20, 5000, 500, 6)
QUICK = Plan((1, 10), {1: 10, 10: 10}, 6, 8, 10, 5, 300, 100, 2, assist_s=15.0)


def command(args: argparse.Namespace, part: str) -> str:
    """The exact command that re-measures one part."""
    parts = [sys.executable.replace(str(env.ROOT) + "/", ""), "-m", "scripts.bench", "--out", args.out]
    if args.model:
        parts += ["--model", args.model]
    if args.quick:
        parts.append("--quick")
    return shlex.join(parts + ["--only", part])


async def _measure(args: argparse.Namespace, plan: Plan, only: set[str], services: env.Services,
                   report: Report) -> None:
    gw = services.gateways[0]
    urls = [str(gw)]
    if only & {"latency", "saturation", "throughput"}:
        await load.rest_run(urls, 1, 3, closed_loop=True)  # warm both paths up (lazy Rasa/TF graphs)
        await load.ws_run(urls, 1, 3, closed_loop=True)
        await load.sio_run(urls, 1, 3, closed_loop=True)
    if "latency" in only:
        _progress("latency")
        cmd = command(args, "latency")
        runs = await load.alternating(urls, 1, plan.single_s, plan.rounds, closed_loop=True,
                                      cpu=lambda: env.cpu_seconds(gw.proc.pid))
        for channel, run in runs.items():
            report.latency("closed loop, 1 conversation", channel, run, cmd)
        report.cpu_per_turn("closed loop, 1 conversation", runs, cmd)
        for level in plan.levels:
            scenario = f"open loop, {level} conversation{'s' if level > 1 else ''} × 1 msg/5 s"
            if level != plan.levels[-1]:
                # Within one instance's capacity, the two channels take turns too: one 20-s run each swung
                # the 50-conversation p50s by ±6 ms between two runs of the same build.
                for channel, run in (await load.alternating(urls, level, plan.level_s[level], plan.rounds)).items():
                    report.latency(scenario, channel, run, cmd, level=level if channel == "sio" else None)
                continue
            for channel in ("ws", "rest"):
                runner = load.ws_run if channel == "ws" else load.rest_run
                run = await runner(urls, level, plan.level_s[level])
                report.latency(scenario, channel, run, cmd, level=level)
                report.note_settle(await load.settle(str(gw), cap_s=90))
    if "saturation" in only:
        _progress("saturation")
        cmd = command(args, "saturation")

        async def reset() -> None:
            env.reset_stats(services.redis_url)

        n, secs = plan.saturation_conversations, plan.saturation_s
        run = await load.ws_run(urls, n, secs, closed_loop=True, on_ready=reset)
        stats = env.commandstats(services.redis_url)
        report.saturation("ws", n, run, cmd)
        report.redis_per_message(stats, run, cmd)
        await load.settle(str(gw))
        report.saturation("rest", n, await load.rest_run(urls, n, secs, closed_loop=True), cmd)
        await load.settle(str(gw))
    if "handoff" in only:
        _progress("handoff")
        cmd = command(args, "handoff")
        report.handoff("button (`request_human`)", await load.handoff_run(str(gw), plan.handoffs, typed=False), cmd)
        report.handoff("typed (\"" + load.HANDOFF_TEXT + "\")",
                       await load.handoff_run(str(gw), plan.handoffs, typed=True), cmd)
    if "sockets" in only:
        _progress("sockets")
        res = await load.idle_sockets(str(gw), gw.proc.pid, plan.socket_cap, env.rss_kib)
        report.sockets(res, args.nofile, command(args, "sockets"))
    if "assist" in only:
        _progress("assist")
        report.assist(await bench_assist.assist_run(str(gw), services.redis_url, duration=plan.assist_s),
                      command(args, "assist"))
    if "throughput" in only:
        _progress("throughput")
        cmd = command(args, "throughput")
        n, secs = plan.saturation_conversations, plan.saturation_s
        one = await load.ws_run(urls, n, secs, closed_loop=True)
        second = services.add_gateway("bench-2")
        await load.rest_run([str(second)], 1, 3, closed_loop=True)
        await load.ws_run([str(second)], 1, 3, closed_loop=True)
        two = await load.ws_run(urls + [str(second)], n, secs, closed_loop=True)
        report.throughput(n, one, two, cmd)


def _progress(part: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} measuring {part} ...", flush=True)


def _subprocess_json(code: str, timeout: float) -> dict[str, Any]:
    out = subprocess.run([sys.executable, "-c", code], check=False, cwd=env.ROOT, capture_output=True, text=True,
                         timeout=timeout)
    if out.returncode:
        raise RuntimeError(out.stderr.strip().splitlines()[-1] if out.stderr.strip() else "failed")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _offline_parts(args: argparse.Namespace, plan: Plan, only: set[str], model_dir: str, report: Report) -> None:
    """Sentiment and NLU run after the gateways are stopped: they are CPU-bound on their own."""
    py = sys.executable.replace(str(env.ROOT) + "/", "")
    if "sentiment" in only:
        _progress("sentiment")
        code = f"import json; from bot.sentiment.bench import bench; print(json.dumps(bench({plan.sentiment_n})))"
        try:
            report.sentiment(_subprocess_json(code, 600), f"{py} -c {shlex.quote(code)}")
        except Exception as exc:  # noqa: BLE001 - the report says what failed instead of dying
            report.failed("sentiment", str(exc))
    if "replication" in only:
        _progress("replication")
        from scripts.bench_ha import replicated_ack

        try:
            report.replicated_ack(replicated_ack(200 if args.quick else 2000), command(args, "replication"))
        except Exception as exc:  # noqa: BLE001 - the report says what failed instead of dying
            report.failed("replication", str(exc))
    if "cluster" in only:
        _progress("cluster")
        from scripts.bench_ha import cluster_turns

        try:
            report.cluster_turns(cluster_turns(200 if args.quick else 2000), command(args, "cluster"))
        except Exception as exc:  # noqa: BLE001 - the report says what failed instead of dying
            report.failed("cluster", str(exc))
    if "history" in only:
        _progress("history")
        n = 10_000 if args.quick else 100_000
        code = f"import asyncio, json; from scripts.bench_history import run; print(json.dumps(asyncio.run(run({n}))))"
        try:
            report.history(_subprocess_json(code, 900), f"{py} -c {shlex.quote(code)}")
        except Exception as exc:  # noqa: BLE001 - the report says what failed instead of dying
            report.failed("history", str(exc))
    if "assist" in only:
        code = "import json; from scripts.bench_assist import own_cost; print(json.dumps(own_cost()))"
        try:
            report.assist_cost(_subprocess_json(code, 600), f"{py} -c {shlex.quote(code)}")
        except Exception as exc:  # noqa: BLE001 - the report says what failed instead of dying
            report.failed("assist", str(exc))
    if "nlu" in only:
        _progress("nlu")
        cache = env.ROOT / model_dir / "eval.json"
        cmd = f"{py} -m bot.evaluate --model {model_dir} --json {model_dir}/eval.json"
        if not cache.exists() and not args.quick:
            subprocess.run(shlex.split(cmd), check=False, cwd=env.ROOT, timeout=900, capture_output=True)
        if cache.exists():
            report.nlu(json.loads(cache.read_text()), cmd, cached=True)
        else:
            report.failed("nlu", f"no {model_dir}/eval.json (skipped with --quick; run: {cmd})")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m scripts.bench", description=__doc__)
    parser.add_argument("--out", default="BENCHMARKS.md")
    parser.add_argument("--model", default=None, help="Rasa model folder (default models/rasa, else "
                                                       "models/reduced/rasa)")
    parser.add_argument("--quick", action="store_true", help="small concurrency, short runs (development)")
    parser.add_argument("--only", nargs="+", choices=PARTS, default=list(PARTS))
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    only = set(args.only)
    args.nofile = env.raise_nofile(plan.socket_cap + 2048)  # before the gateways start: they inherit it
    model, model_dir = env.pick_model(args.model)
    started = time.monotonic()
    report = Report(env.machine(), env.git_commit(), dt.datetime.now(dt.timezone.utc), model, model_dir,
                    quick=args.quick, full_command=command(args, "x").rsplit(" --only", 1)[0])
    if only - OFFLINE:
        print(f"starting Redis, the action server and a gateway with {model} ...", flush=True)
        services = env.Services(model, 1)
        gw = services.gateways[0]
        report.gateway_start(gw.start_seconds, env.rss_kib(gw.proc.pid),  # type: ignore[attr-defined]
                             [env.rss_kib(pid) for pid in env.child_pids(gw.proc.pid)])
        try:
            asyncio.run(_measure(args, plan, only, services, report))
        finally:
            services.close()
    _offline_parts(args, plan, only, model_dir, report)
    report.elapsed_s = time.monotonic() - started
    out = Path(args.out)
    if only != set(PARTS) and out.exists():
        # A partial run: its rows replace the same parts' rows of the last report; the others stay as they were.
        out.write_text(report.merged_into(out.read_text(encoding="utf-8"), only), encoding="utf-8")
    else:
        out.write_text(report.markdown(), encoding="utf-8")
    print(f"wrote {args.out} in {report.elapsed_s:.0f} s")


if __name__ == "__main__":
    main()
