"""The human table, the ratios to the bare relay, the verdict, and the JSON file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

# Figures compared with the relay's: higher is better for the first two, lower for the rest.
RATIO_FIGURES = (
    "messages_per_second",
    "deliveries_per_second",
    "delivery_p50_ms",
    "delivery_p99_ms",
    "server_cpu_ms_per_message",
    "rss_kb_per_connection",
    "idle_server_cpu_share",
)
CHECKED = ("lost", "duplicated", "out_of_order")


def add_ratios(runs: list[dict[str, Any]]) -> None:
    """Give every VaultRoom result ``vs_relay``: each figure over the relay's, same scenario."""
    relay = next((run for run in runs if run["server"] == "relay"), None)
    if relay is None:
        return
    baseline = {result["scenario"]: result for result in relay["results"]}
    for run in runs:
        if run["server"] == "relay":
            continue
        for result in run["results"]:
            base = baseline.get(result["scenario"])
            if base is None:
                continue
            ratios = {}
            for figure in RATIO_FIGURES:
                ours, theirs = result.get(figure), base.get(figure)
                if isinstance(ours, int | float) and isinstance(theirs, int | float) and theirs:
                    ratios[figure] = round(ours / theirs, 2)
            result["vs_relay"] = ratios


def failures(runs: list[dict[str, Any]]) -> list[str]:
    """Why the run fails: VaultRoom lost, duplicated or reordered something, or a run broke."""
    found = []
    for run in runs:
        label = f"{run['server']}/{run['database']}"
        if run.get("error"):
            found.append(f"{label}: {run['error'].strip().splitlines()[-1]}")
        for broken in run.get("scenario_errors", []):
            found.append(f"{label} {broken['scenario']}: {broken['error']}")
        if run["server"] != "vaultroom":
            continue
        for result in run["results"]:
            for figure in CHECKED:
                if result.get(figure):
                    found.append(f"{label} {result['scenario']}: {figure} {result[figure]}")
    return found


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) < 100 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _trio(result: dict[str, Any], prefix: str) -> str:
    values = [result.get(f"{prefix}_p{p}_ms") for p in (50, 95, 99)]
    return "/".join(_cell(v) for v in values) if any(v is not None for v in values) else "-"


def _table(title: str, header: list[str], rows: list[list[str]]) -> str:
    if not rows:
        return ""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = [title, "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(lines) + "\n"


def _ratio(result: dict[str, Any], figure: str) -> str:
    value = result.get("vs_relay", {}).get(figure)
    return f"{value:.2f}x" if value is not None else "-"


def render(runs: list[dict[str, Any]]) -> str:
    messages, idle, rest = [], [], []
    for run in runs:
        label = run["server"] if run["server"] == "relay" else f"vaultroom/{run['database']}"
        for r in run["results"]:
            if "messages_per_second" in r:
                messages.append(
                    [
                        label,
                        r["scenario"],
                        _cell(r["offered_rate"]),
                        _cell(r["messages_per_second"]),
                        _ratio(r, "messages_per_second"),
                        _cell(r["deliveries_per_second"]),
                        _trio(r, "ack"),
                        _trio(r, "delivery"),
                        _ratio(r, "delivery_p99_ms"),
                        f"{r['lost']}/{r['duplicated']}/{r['out_of_order']}",
                        _cell(r["server_cpu_ms_per_message"]),
                        _cell(r["server_cpu_share"]),
                        _cell(r["client_cpu_share"]),
                        _cell(r.get("other_cpu_share")),
                        _cell(r["server_rss_mb"]),
                        _cell(r["connect_seconds"]),
                    ]
                )
            elif "connections" in r:
                idle.append(
                    [
                        label,
                        _cell(r["connections"]),
                        _cell(r["distinct_users"]),
                        _cell(r["alive_after_idle"]),
                        _cell(r["connections_per_second"]),
                        f"{r['server_rss_before_mb']:.0f} -> {r['server_rss_mb']:.0f}",
                        _cell(r["rss_kb_per_connection"]),
                        _ratio(r, "rss_kb_per_connection"),
                        _cell(r["idle_server_cpu_share"]),
                    ]
                )
            else:
                unit = next(k for k in r if k.endswith("_per_second"))
                rest.append(
                    [
                        label,
                        r["scenario"],
                        _cell(r[unit]),
                        _trio(r, "latency"),
                        _cell(sum(r.get("errors", {}).values())),
                        _cell(r.get("server_cpu_ms_per_request")),
                    ]
                )
    return "\n".join(
        part
        for part in (
            _table(
                "Messaging (one message in flight per sender unless a rate is offered; "
                "latencies in ms p50/p95/p99)",
                [
                    "server",
                    "scenario",
                    "offered/s",
                    "msg/s",
                    "x relay",
                    "deliveries/s",
                    "ack ms",
                    "delivery ms",
                    "p99 x relay",
                    "lost/dup/ooo",
                    "cpu ms/msg",
                    "srv cpu",
                    "cli cpu",
                    "other cpu",
                    "rss MB",
                    "connect s",
                ],
                messages,
            ),
            _table(
                "Idle connections",
                [
                    "server",
                    "connections",
                    "users",
                    "alive",
                    "connects/s",
                    "rss MB",
                    "KB/conn",
                    "x relay",
                    "idle cpu",
                ],
                idle,
            ),
            _table(
                "REST (argon2-bound sign-ins: report only)",
                ["server", "scenario", "per second", "latency ms", "errors", "cpu ms/req"],
                rest,
            ),
        )
        if part
    )


def write_json(summary: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(summary, indent=2) + "\n")
