"""Custom actions for the rasa-sdk action server (`python -m rasa_sdk --actions actions`)."""

from actions.answers import (  # noqa: F401  (the action server registers what this package imports)
    ActionAnswer,
    ActionCapabilities,
    ActionFallbackAnswer,
    ActionFeedback,
    ActionGoodbye,
    ActionHumanHandoff,
    ActionIdentity,
    ActionNotInNotice,
    ActionThanks,
    ActionWelcome,
)
from actions.selfcheck import (  # noqa: F401
    ActionSelfcheckReset,
    ActionSelfcheckResult,
    ActionSelfcheckShow,
    ActionSelfcheckStop,
    ValidateSelfcheckForm,
)
from actions.selfcheck_questions import (  # noqa: F401
    ActionAskScAnswer,
    ActionAskScCity,
    ActionAskScDirection,
    ActionAskScType,
)
