"""One APIRouter per area; all are mounted under ``/api/v1`` by ``create_app``."""
