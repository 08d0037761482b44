"""The AI orchestrator: one turn per session at a time, each in its own greenlet.

A customer's message in an ACTIVE session without an agent starts a turn: analyse, maybe hand
over to a human, otherwise stream a grounded reply to the room and store it. A new customer
message mid-turn supersedes the stream (one coherent reply); an agent, a handoff or the end of
the chat cancels it at once. On any failure a human takes over.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import gevent
from flask import Flask
from gevent.lock import BoundedSemaphore
from gevent.pool import Group

from livechat.ai import analysis as analysers
from livechat.ai import handover
from livechat.ai import policy as rules
from livechat.ai.prompts import notice
from livechat.ai.providers import Provider, ProviderError, Reply
from livechat.ai.turns import build_prompt, handoff_packet, turn_analysis
from livechat.errors import Conflict, DomainError
from livechat.metrics import metrics
from livechat.models import AI_SENDER_ID, TicketPriority
from livechat.realtime import push
from livechat.services import assistant, escalation

log = logging.getLogger(__name__)


class TurnInterrupted(BaseException):
    """Thrown into a provider call to stop it at once (a BaseException, so providers' own
    ``except Exception`` error mapping cannot mistake it for a provider failure)."""


@dataclass
class Turn:
    session_id: str
    greenlet: gevent.Greenlet | None = None
    call: gevent.Greenlet | None = None  # the provider call in flight, if any
    superseded: bool = False
    cancelled: str | None = None
    stream_id: str | None = None
    started: float = field(default_factory=time.monotonic)


class Orchestrator:
    """Owns the AI greenlets of one app (a Group, bounded by a semaphore of AI_MAX_CONCURRENCY)."""

    def __init__(
        self,
        app: Flask,
        provider: Provider,
        knowledge: Any,
        context_provider: Any,
        policy: rules.EscalationPolicy,
    ) -> None:
        cfg = app.config
        self.app = app
        self.provider = provider
        self.knowledge = knowledge
        self.context_provider = context_provider
        self.policy = policy
        self.enabled = bool(cfg.get("AI_ENABLED", True))
        self.queue_without_assistant = bool(cfg.get("QUEUE_WITHOUT_ASSISTANT", False))
        self.total_timeout = float(cfg["AI_TOTAL_TIMEOUT"])
        self.history_tokens = int(cfg["AI_HISTORY_TOKENS"])
        self.minutes_per_chat = float(cfg["QUEUE_MINUTES_PER_CHAT"])
        self.delta_interval = float(cfg["AI_DELTA_INTERVAL"])
        self._slots = BoundedSemaphore(int(cfg["AI_MAX_CONCURRENCY"]))
        self._group = Group()
        self._turns: dict[str, Turn] = {}
        # Set in assistant processes (AI_WORKER=external): which process runs a session's turn.
        self.claims: Any = None

    # ---- called by listeners (after commit; never blocks) -------------------------------

    def customer_message(self, session_id: str) -> None:
        """A customer wrote: start a turn, or fold the message into the running one. With the
        assistant off, the chat goes to the human queue instead (ai/handover.py)."""
        if not self.enabled:
            if self.queue_without_assistant:
                job = self._group.spawn(self._queue_for_people, session_id)
                job.link_exception(self._crashed)
            return
        turn = self._turns.get(session_id)
        if turn is not None:
            turn.superseded = True
            self._interrupt(turn)
            return
        self._start(session_id)

    def resume(self, session_id: str) -> bool:
        """Answer a customer message left unanswered (never disturbs a running turn)."""
        if not self.enabled or session_id in self._turns:
            return False
        return self._start(session_id)

    def _start(self, session_id: str) -> bool:
        if self.claims is not None and not self.claims.acquire(session_id):
            return False  # another assistant process runs this session's turn
        turn = Turn(session_id)
        self._turns[session_id] = turn
        turn.greenlet = self._group.spawn(self._run, turn)
        turn.greenlet.link_exception(self._crashed)
        return True

    def stop(self, session_id: str, reason: str) -> None:
        """A human took over, or the chat is waiting or ended: stop at once, store nothing."""
        turn = self._turns.get(session_id)
        if turn is not None:
            turn.cancelled = reason
            self._interrupt(turn)

    def shutdown(self, timeout: float = 5) -> None:
        self._group.kill(timeout=timeout)

    def drain(self, grace: float) -> None:
        """Let running turns finish for up to ``grace`` seconds, then stop the rest."""
        self._group.join(timeout=grace)
        self._group.kill(timeout=5)

    # ---- the turn --------------------------------------------------------------------------

    @staticmethod
    def _interrupt(turn: Turn) -> None:
        # Kill only the provider call's own greenlet: killing the turn itself could land in a
        # DB call and leave its connection mid-query. Elsewhere the flags are checked next step.
        if turn.call is not None:
            turn.call.kill(TurnInterrupted, block=False)

    def _run(self, turn: Turn) -> None:
        try:
            with self._slots, self.app.app_context():
                while True:
                    if self.claims is not None:
                        self.claims.extend(turn.session_id)
                    turn.superseded = False
                    try:
                        outcome = self._turn_once(turn)
                    except Exception:  # a bug or a database refusal: never leave them waiting
                        self._rescue(turn)
                        outcome = "crashed"
                    metrics(self.app).ai_turns.labels(outcome).inc()
                    # A message that came in while the reply was being stored is answered now
                    # (load_turn knows which messages the stored reply answered).
                    if outcome == "superseded" or (outcome == "done" and _wants_more(turn)):
                        continue
                    break
        finally:
            if self._turns.get(turn.session_id) is turn:
                # Release before forgetting the turn: a message arriving during the release
                # still finds the turn (and is picked up below), never a claim still held.
                if self.claims is not None:
                    self.claims.release(turn.session_id)
                del self._turns[turn.session_id]
        if _wants_more(turn):
            self._start(turn.session_id)  # a message came in as the turn wound down

    def _queue_for_people(self, session_id: str) -> None:
        with self.app.app_context():
            handover.queue_without_assistant(
                session_id, policy=self.policy, minutes_per_chat=self.minutes_per_chat
            )

    def _crashed(self, greenlet: gevent.Greenlet) -> None:
        log.error("AI turn crashed", exc_info=greenlet.exc_info)

    @staticmethod
    def _provider_call(turn: Turn, fn: Any, *args: Any) -> Any:
        """Run one provider step in a child greenlet that stop() can kill at once."""
        turn.call = gevent.spawn(_capture, fn, *args)
        try:
            ok, value = turn.call.get()
        finally:
            turn.call = None
        if not ok:
            raise value
        return value

    def _turn_once(self, turn: Turn) -> str:
        ctx = assistant.load_turn(turn.session_id)
        if ctx is None or not ctx.pending or turn.cancelled:
            return "done"
        deadline = time.monotonic() + self.total_timeout
        text = "\n".join(t for _, t, _ in ctx.pending)
        # One analysis per turn, local whatever the provider: the rules decide on it and the
        # agent's sidebar shows it (docs/assistant.md says why there is no model classification).
        local = analysers.analyse(text)
        found = turn_analysis(local)
        # Agents see the analysis whatever happens next: a stored reply carries it (one
        # statement), a handover records it before the chat reaches them (_handoff); any other
        # ending - including an exception - records it here.
        recorded = False
        try:
            if turn.cancelled or turn.superseded:
                return "cancelled" if turn.cancelled else "superseded"
            decision = rules.decide(
                local, unresolved_tickets=ctx.unresolved_tickets, policy=self.policy
            )
            if decision.escalate:
                recorded = True  # by _handoff, first
                self._handoff(
                    ctx,
                    local,
                    found,
                    decision.reason,
                    TicketPriority(decision.priority),
                    rule=decision.rule,
                )
                return "done"
            outcome = self._answer(turn, ctx, local, found, deadline)
            # _answer is done only once it stored the reply, failed only once it handed over.
            recorded = outcome in ("done", "failed")
            return outcome
        finally:
            if not recorded:
                assistant.record_analysis(ctx.session_id, ctx.pending[-1][0], found)

    def _answer(
        self, turn: Turn, ctx: Any, local: Any, found: dict[str, Any], deadline: float
    ) -> str:
        sid = ctx.session_id
        turn.stream_id = stream_id = uuid.uuid4().hex
        started = time.monotonic()
        prompt = build_prompt(self, ctx, local.language, found["intent"], found.get("intentDetail"))
        push.ai_processing(sid, stream_id)
        reply = Reply()
        deltas = _Deltas(sid, stream_id, self.delta_interval)
        try:
            chunks = iter(self.provider.stream(prompt, reply, deadline))
            first = True
            while not (turn.cancelled or turn.superseded):
                delta = self._provider_call(turn, next, chunks, None)
                if delta is None:
                    break
                if first:
                    metrics(self.app).ai_first_token.observe(time.monotonic() - turn.started)
                    first = False
                deltas.add(delta)
        except TurnInterrupted:
            pass
        except ProviderError as exc:
            self._failed(ctx, local, found, exc.code, exc.message, stream_id)
            return "failed"
        if not (turn.cancelled or turn.superseded):
            deltas.flush()  # the whole reply has streamed before it is stored
        if turn.cancelled or turn.superseded:
            reason = turn.cancelled or "superseded"
            push.ai_cancelled(sid, stream_id, reason)
            return "superseded" if not turn.cancelled else "cancelled"
        for kind, count in reply.usage.items():
            metrics(self.app).ai_tokens.labels(kind).inc(count or 0)
        metadata = {
            "provider": self.provider.name,
            "model": reply.model or self.provider.model,
            "intent": found["intent"],
            "sentiment": found["sentiment"],
            "language": local.language,
            "usage": reply.usage,
            "latencyMs": round((time.monotonic() - started) * 1000),
            "sources": reply.sources,
            "streamId": stream_id,
            # The last customer message this reply answers: one written while it was being
            # stored may get a lower seq than the reply and is still owed an answer.
            "answeredSeq": ctx.pending[-1][2],
        }
        try:
            message = assistant.post_reply(
                sid, reply.text, metadata, analysis=(ctx.pending[-1][0], found)
            )
        except Conflict:
            push.ai_cancelled(sid, stream_id, "handoff")
            return "cancelled"
        push.ai_complete(sid, stream_id, message.id)
        return "done"

    def _handoff(
        self,
        ctx: Any,
        local: Any,
        found: dict[str, Any],
        reason: str,
        priority: TicketPriority,
        *,
        rule: str | None = None,
        notice_key: str = "queued",
    ) -> None:
        """``reason`` is for people (the queue shows it); ``rule`` names the rule that fired.

        The turn's analysis is stored on the customer's message first: the agent who opens the
        chat on its session:updated reads it there. A failure to store it is logged and never
        holds the handover up."""
        try:
            assistant.record_analysis(ctx.session_id, ctx.pending[-1][0], found)
        except Exception:
            log.exception("analysis of %s not stored before its handover", ctx.session_id)
        self._queue(
            ctx.session_id,
            local.language,
            notice_key,
            reason=reason,
            rule=rule,
            priority=priority,
            intent=found["intent"],
            sentiment=found["sentiment"],
            summary=handoff_packet(ctx, found, rule or reason, reason),
        )

    def _queue(self, session_id: str, language: str, notice_key: str, **details: Any) -> None:
        """Escalate (ticket, WAITING, queue) with the customer's notice in their language."""
        try:
            escalation.escalate(
                session_id,
                requested_by=AI_SENDER_ID,
                notice=lambda position, minutes: notice(
                    language, notice_key, position=position, minutes=minutes
                ),
                minutes_per_chat=self.minutes_per_chat,
                **details,
            )
        except DomainError as exc:  # ended meanwhile: nothing to hand over
            assistant.discard_failed_work()  # the refusal left its row lock held
            log.info("no handoff for %s: %s", session_id, exc.code)

    def _rescue(self, turn: Turn) -> None:
        """A turn died of an unexpected error: the customer is told and a person takes over
        (otherwise nothing answers them, and assistant processes would retry the same crash at
        every resume check)."""
        sid = turn.session_id
        log.exception("AI turn crashed for %s", sid)
        metrics(self.app).ai_errors.labels("internal").inc()
        assistant.discard_failed_work()
        push.ai_error(
            sid,
            turn.stream_id,
            "internal",
            "The assistant ran into a problem; a person will take over.",
        )
        try:
            self._queue(
                sid,
                assistant.customer_language(sid),
                "ai_unavailable",
                reason="ai_unavailable",
                summary="Handed over: the assistant failed on this chat (see the server log).",
            )
        except Exception:
            assistant.discard_failed_work()
            log.exception("could not hand %s over after the crash", sid)

    def _failed(
        self, ctx: Any, local: Any, found: dict[str, Any], code: str, message: str, stream_id: str
    ) -> None:
        """The customer's message stays; they are told politely and a human takes over."""
        log.warning("AI turn failed for %s: %s", ctx.session_id, code)
        metrics(self.app).ai_errors.labels(code).inc()
        push.ai_error(ctx.session_id, stream_id, code, message)
        self._handoff(
            ctx, local, found, "ai_unavailable", TicketPriority.MEDIUM, notice_key="ai_unavailable"
        )


class _Deltas:
    """A reply's ai:delta events: the first chunk at once (time to first token), then whatever
    arrived within ``interval`` of the last event rides with the next one."""

    def __init__(self, session_id: str, stream_id: str, interval: float) -> None:
        self._sid, self._stream_id, self._interval = session_id, stream_id, interval
        self._held = ""
        self._last: float | None = None  # when the last event went out

    def add(self, text: str) -> None:
        self._held += text
        now = time.monotonic()
        if self._last is None or now - self._last >= self._interval:
            self.flush()

    def flush(self) -> None:
        if not self._held:
            return
        delta, self._held = self._held, ""
        self._last = time.monotonic()
        push.ai_delta(self._sid, self._stream_id, delta)


def _wants_more(turn: Turn) -> bool:
    return turn.superseded and not turn.cancelled


def _capture(fn: Any, *args: Any) -> tuple[bool, Any]:
    # Errors travel back as values: the caller re-raises them where it can handle them, and the
    # hub does not print a traceback for an expected interruption.
    try:
        return True, fn(*args)
    except BaseException as exc:
        return False, exc
