"""Response models of the REST API: what /api/openapi.json promises, and what schemathesis checks."""

from ebpm.web.models.budget import *  # noqa: F403
from ebpm.web.models.common import *  # noqa: F403
from ebpm.web.models.graph import *  # noqa: F403
from ebpm.web.models.indicators import *  # noqa: F403
from ebpm.web.models.research import *  # noqa: F403
