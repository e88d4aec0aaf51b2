"""One ``APIRouter`` per resource: classify, posts, incidents, services, series, detect, health."""
