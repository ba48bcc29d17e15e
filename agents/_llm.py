"""LLM drafting backends (``openai``, ``local``): prompt files in, Verilog files out, retries counted."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from pydantic import BaseModel, Field

from accelsmith.agents._backends import Candidate, Draft, Sampling, register_backend
from accelsmith.agents._chat import VERILOG_REPLY_GBNF, ChatReply, LocalChat, OpenAIChat
from accelsmith.agents._extract import (UnusableReply, extract_files, extract_json, extract_with_header,
                                         module_names, module_spans)
from accelsmith.agents._prompting import describe_spec, feedback_text, rtl_text
from accelsmith.hw_templates import RtlBundle
from accelsmith.prompts import render
from accelsmith.spec import BlockSpec

DEFAULT_REPLY_TOKENS = 1024
DEFAULT_FORMAT_RETRIES = 2
RETRY_TEMPERATURE = 0.8  # a retry after an unusable greedy reply, and a resample after a repeated design


class PlanReply(BaseModel):
    approach: Literal["template", "scratch"]
    architecture: str = Field(min_length=1, max_length=2000)
    pipeline_stages: int = Field(ge=0, le=64)
    risks: list[str] = Field(default_factory=list)


class LLMBackend:
    """Drafts and repairs RTL by asking a chat model; unusable replies get a format reminder."""

    can_repair = True

    def __init__(self, chat, name: str, *, max_reply_tokens: int = DEFAULT_REPLY_TOKENS,
                 format_retries: int = DEFAULT_FORMAT_RETRIES, plan_tokens: int = 200, grammar: bool = False):
        self.chat, self.name = chat, name
        self.max_reply_tokens, self.format_retries, self.plan_tokens = max_reply_tokens, format_retries, plan_tokens
        # constrained decoding of RTL replies (llama.cpp grammars: the local route, or a llama.cpp server)
        self.rtl_grammar = VERILOG_REPLY_GBNF if grammar else None

    @property
    def model(self) -> str:
        return self.chat.model

    def _ask(self, messages: list[dict], parse: Callable[[str], object], wanted: str, max_tokens: int,
             draft: Draft, temperature: float | None = None, seed: int | None = None,
             grammar: str | None = None) -> object | None:
        """Ask; on an unusable reply, remind the model of the format and ask again (counted)."""
        messages = list(messages)
        sampling = {} if temperature is None else {"temperature": temperature, "seed": seed}
        constrain = {"grammar": grammar} if grammar else {}
        for attempt in range(self.format_retries + 1):
            if attempt and not sampling.get("temperature"):
                # greedy decoding of nearly the same prompt repeats the unusable reply (a loop cut off at the token
                # limit, typically): the retries sample instead
                sampling = {"temperature": RETRY_TEMPERATURE, "seed": (seed or 0) + attempt}
            reply: ChatReply = self.chat.chat(messages, max_tokens, **sampling, **constrain)
            draft.add_usage(reply.model, reply.tokens_in, reply.tokens_out)
            draft.counters["http_retries"] = draft.counters.get("http_retries", 0) + reply.retries
            draft.replies.append({"model": reply.model, "text": reply.text, **sampling})
            try:
                return parse(reply.text)
            except UnusableReply as err:
                draft.notes.append(f"{self.model}: unusable reply ({err})")
                if attempt == self.format_retries:
                    return None
                draft.counters["format_retries"] = draft.counters.get("format_retries", 0) + 1
                messages += [{"role": "assistant", "content": reply.text[:4000]},
                             {"role": "user", "content": render("format_reminder", problem=str(err), wanted=wanted)}]
        return None

    def plan(self, spec: BlockSpec, context: dict) -> tuple[dict | None, Draft]:
        usage = Draft(bundle=None, model=self.model)
        prompt = render("plan", spec_text=describe_spec(spec), approach=context["approach"])
        msgs = [{"role": "system", "content": render("system")}, {"role": "user", "content": prompt}]
        reply = self._ask(msgs, lambda t: extract_json(t, PlanReply), "one JSON object with the keys shown",
                          self.plan_tokens, usage)
        return (reply.model_dump() if reply is not None else None), usage

    def draft(self, spec: BlockSpec, plan: dict, feedback: dict | None, sampling: Sampling | None = None) -> Draft:
        out = Draft(bundle=None, model=self.model)
        top = plan["top"]
        shell = plan.get("shell")  # a beat-function block: the model writes the combinational core or one lane
        asked = shell["asked"] if shell else top
        llm_plan = plan.get("llm_plan")
        plan_text = (f"Your plan: {llm_plan['architecture']} ({llm_plan['pipeline_stages']} pipeline stages)"
                     if llm_plan else "")
        template_text = ""
        reference = _own_files(plan["reference"]["files"], shell) if plan.get("reference") else {}
        if plan.get("approach") == "template" and plan.get("template_rtl"):
            template_text = ("Adapt this expert template (it is known to work for a related spec):\n```verilog\n"
                             + rtl_text(plan["template_rtl"]) + "\n```\n")
        elif reference:
            ref = plan["reference"]
            template_text = (f"This design passed the full test bench of a related {spec.kind} spec ({ref['summary']}; "
                             f"it differs in: {', '.join(ref['differs']) or 'nothing but its name'}). "
                             "Adapt it to the spec above:\n```verilog\n" + rtl_text(reference) + "\n```\n")
        if shell:
            steps = spec.lane_steps() if shell["level"] == "lane" else None
            prompt = render(f"draft_{shell['level']}", spec_text=describe_spec(spec, protocol=False),
                            steps_text=f"\nOne lane, step by step:\n{steps}\n" if steps else "",
                            plan_text=plan_text, template_text=template_text, top=top, core=shell["core"],
                            lane=asked, stages=shell["stages"], header=shell["header"])
        else:
            prompt = render("draft", spec_text=describe_spec(spec), plan_text=plan_text, template_text=template_text,
                            top=top, header=plan["header"])
        if feedback and feedback.get("previous_rtl"):
            prompt += "\n\n" + render("repair", iteration=feedback["iteration"],
                                      previous_rtl=rtl_text(_own_files(feedback["previous_rtl"], shell)),
                                      feedback_text=feedback_text(feedback), top=asked)
        msgs = [{"role": "system", "content": render("system")}, {"role": "user", "content": prompt}]
        # the spec's header goes back onto the reply (not on older runs' plans)
        fixed = shell["module_header"] if shell else plan.get("module_header")

        def parse(text: str):
            files, notes = extract_with_header(text, asked, fixed) if fixed else extract_files(text, top)
            if shell:
                files, notes = _with_shell(files, notes, top, shell)
            return files, notes

        for temperature, seed in (sampling or Sampling()).settings():
            parsed = self._ask(msgs, parse, "the complete Verilog in one ```verilog block",
                               self.max_reply_tokens, out, temperature=temperature if sampling else None, seed=seed,
                               grammar=self.rtl_grammar)
            if parsed is not None:
                files, notes = parsed
                out.candidates.append(Candidate(RtlBundle(files=files, top=top), temperature, seed, self.model, notes))
                out.notes += notes
        if out.candidates:
            out.bundle = out.candidates[0].bundle
        return out

    def complete(self, messages: list[dict], parse: Callable[[str], object], wanted: str, draft: Draft,
                 temperature: float | None = None, seed: int | None = None):
        """A bare ask with format retries, for callers outside the design graph (``accelsmith problems``)."""
        return self._ask(messages, parse, wanted, self.max_reply_tokens, draft, temperature=temperature, seed=seed,
                         grammar=self.rtl_grammar)


def _own_files(files: dict[str, str], shell: dict | None) -> dict[str, str]:
    """What a model wrote and is shown again: all files, less the generated ones (a beat-function design); a design
    without the asked module (one written whole, handshake and all) has nothing to show."""
    if not shell:
        return dict(files)
    return {n: t for n, t in files.items() if n not in shell["generated"] and shell["asked"] in module_names(t)}


def _with_shell(files: dict[str, str], notes: list[str], top: str, shell: dict) -> tuple[dict[str, str], list[str]]:
    """The reply's modules with the generated ones added: a module the model wrote that is generated (the streaming
    top, the lane-replicating core) is dropped, its other modules stay."""
    made = {m for t in shell["generated"].values() for m in module_names(t)}
    kept = {}
    for name, text in files.items():
        own = set(module_names(text))
        if own & made:
            notes = notes + [f"dropped the model's own {', '.join(sorted(own & made))}: generated from the spec"]
            text = "\n\n".join(m for m in module_spans(text) if not set(module_names(m)) & made)
            if not text.strip():
                continue
            text += "\n"
        if name in shell["generated"]:  # named after a generated file: name it after its own first module
            first = f"{module_names(text)[0]}.v" if module_names(text) else name
            name = first if first not in shell["generated"] and first not in kept else f"model_{name}"
        kept[name] = text
    return {**kept, **shell["generated"]}, notes


def _int(options: dict, key: str, default: int) -> int:
    value = options.get(key)
    return default if value is None or value == "" else int(value)


def _flag(options: dict, key: str) -> bool:
    value = options.get(key)
    return value in (True, 1) or str(value).lower() in ("1", "true", "yes", "on")


@register_backend("openai")
def openai_backend(**options) -> LLMBackend:
    chat = OpenAIChat(options.get("base_url"), options.get("model"), timeout_s=float(options.get("timeout_s", 120)),
                      retries=_int(options, "http_retries", 4), backoff_s=float(options.get("backoff_s", 1.0)))
    return LLMBackend(chat, "openai", max_reply_tokens=_int(options, "max_reply_tokens", DEFAULT_REPLY_TOKENS),
                      format_retries=_int(options, "format_retries", DEFAULT_FORMAT_RETRIES),
                      grammar=_flag(options, "grammar"))


@register_backend("local")
def local_backend(**options) -> LLMBackend:
    chat = LocalChat(options.get("model_path"), n_ctx=_int(options, "n_ctx", 4096),
                     repeat_penalty=float(options.get("repeat_penalty", 1.1)), draft=options.get("draft") or None)
    return LLMBackend(chat, "local", max_reply_tokens=_int(options, "max_reply_tokens", DEFAULT_REPLY_TOKENS),
                      format_retries=_int(options, "format_retries", DEFAULT_FORMAT_RETRIES),
                      grammar=_flag(options, "grammar"))
