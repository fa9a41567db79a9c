"""The names Rasa knows the assistant by — entities, slots, the form, intents, actions — once.

``domain.yml`` declares them (and ``bot.ops.generate`` adds the FAQ intents, one per
knowledge/faq.yml entry); the actions (``actions/``), the generated training data
(``bot.ops.generate``) and the question log (``bot.questionlog.turns``) use these constants, and
``tests/bot/test_names.py`` checks that domain.yml and the generated domain say the same.
"""

from __future__ import annotations

# -- entities (each also fills the slot of the same name) -----------------------------------
CITY = "city"
APPLICANT_TYPE = "applicant_type"
DIRECTION = "direction"
ENTITIES = (CITY, APPLICANT_TYPE, DIRECTION)

# -- slots ------------------------------------------------------------------------------------
LAST_TOPIC = "last_topic"  # the FAQ topic (or notice clause) of the last answer
LAST_ENTITIES = "last_entities"  # 市州/types/directions the last answers were about
SC_TYPE = "sc_type"
SC_CITY = "sc_city"
SC_DIRECTION = "sc_direction"
SC_ANSWER = "sc_answer"  # asked once per question of the chosen direction
SELFCHECK_ANSWERS = "selfcheck_answers"
SC_FAILURES = "sc_failures"
SC_REASK = "sc_reask"
SC_RESULT_CODE = "sc_result_code"
SC_RESULT = "sc_result"
REQUESTED_SLOT = "requested_slot"  # Rasa's own
# the self-check's slots, cleared when it starts over
FORM_SLOTS = (SC_TYPE, SC_CITY, SC_DIRECTION, SC_ANSWER, SELFCHECK_ANSWERS, SC_FAILURES, SC_REASK)
SLOTS = (LAST_TOPIC, LAST_ENTITIES, *ENTITIES, *FORM_SLOTS, SC_RESULT_CODE, SC_RESULT)
# the form's slot → the entity that can fill it
ENTITY_OF_SLOT = {SC_TYPE: APPLICANT_TYPE, SC_CITY: CITY, SC_DIRECTION: DIRECTION}

# -- the form -------------------------------------------------------------------------------
SELFCHECK_FORM = "selfcheck_form"
FORM_REQUIRED_SLOTS = (SC_TYPE, SC_CITY, SC_DIRECTION, SC_ANSWER)

# -- intents (hand-written; the FAQ intents are the ids of knowledge/faq.yml) ----------------
GREET = "greet"
GOODBYE = "goodbye"
THANKS = "thanks"
HUMAN_HANDOFF = "human_handoff"
BOT_CAPABILITIES = "bot_capabilities"
OUT_OF_SCOPE = "out_of_scope"
INFORM = "inform"
SELFCHECK = "selfcheck"
BOT_IDENTITY = "bot_identity"
NOT_IN_NOTICE = "not_in_notice"
SELFCHECK_STOP = "selfcheck_stop"
SELFCHECK_RESTART = "selfcheck_restart"
SELFCHECK_RESULT = "selfcheck_result"
SELFCHECK_ANSWER = "selfcheck_answer"
INTENTS = (
    GREET,
    GOODBYE,
    THANKS,
    HUMAN_HANDOFF,
    BOT_CAPABILITIES,
    OUT_OF_SCOPE,
    INFORM,
    SELFCHECK,
    BOT_IDENTITY,
    NOT_IN_NOTICE,
    SELFCHECK_STOP,
    SELFCHECK_RESTART,
    SELFCHECK_RESULT,
    SELFCHECK_ANSWER,
)
NLU_FALLBACK = "nlu_fallback"  # Rasa's FallbackClassifier

# -- actions (actions/) -----------------------------------------------------------------------
ACTION_ANSWER = "action_answer"
ACTION_WELCOME = "action_welcome"
ACTION_CAPABILITIES = "action_capabilities"
ACTION_HUMAN_HANDOFF = "action_human_handoff"
ACTION_FALLBACK_ANSWER = "action_fallback_answer"
ACTION_GOODBYE = "action_goodbye"
ACTION_THANKS = "action_thanks"
ACTION_NOT_IN_NOTICE = "action_not_in_notice"
ACTION_IDENTITY = "action_identity"
VALIDATE_SELFCHECK_FORM = f"validate_{SELFCHECK_FORM}"
ACTION_SELFCHECK_RESULT = "action_selfcheck_result"
ACTION_SELFCHECK_SHOW = "action_selfcheck_show"
ACTION_SELFCHECK_STOP = "action_selfcheck_stop"
ACTION_SELFCHECK_RESET = "action_selfcheck_reset"


def ask_action(slot: str) -> str:
    """The action that asks for a form slot (Rasa's naming)."""
    return f"action_ask_{slot}"


ACTIONS = (
    ACTION_ANSWER,
    ACTION_WELCOME,
    ACTION_CAPABILITIES,
    ACTION_HUMAN_HANDOFF,
    ACTION_FALLBACK_ANSWER,
    ACTION_GOODBYE,
    ACTION_THANKS,
    ACTION_NOT_IN_NOTICE,
    ACTION_IDENTITY,
    VALIDATE_SELFCHECK_FORM,
    *(ask_action(slot) for slot in FORM_REQUIRED_SLOTS),
    ACTION_SELFCHECK_RESULT,
    ACTION_SELFCHECK_SHOW,
    ACTION_SELFCHECK_STOP,
    ACTION_SELFCHECK_RESET,
)
# -- declared by bot.ops.generate in the generated domain, not in domain.yml ----------------------
# “did it help?” (bot/feedback.py): an intent only the channels' /feedback{…} trigger sends,
# its two entities and the action that thanks
FEEDBACK = "feedback"
HELPFUL = "helpful"
ANSWER = "answer"
ACTION_FEEDBACK = "action_feedback"
GENERATED_ACTIONS = (ACTION_FEEDBACK,)

# Rasa's own actions the question log recognises
ACTION_DEFAULT_FALLBACK = "action_default_fallback"
ACTION_DEACTIVATE_LOOP = "action_deactivate_loop"
ACTION_LISTEN = "action_listen"
