# Slim, non-root image. Default command: the demo district's compliance check
# (the long-running service, `orglife serve`, replaces it in a later release).
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md CHANGELOG.md ./
COPY monitor ./monitor
COPY rules ./rules
COPY calendars/holidays ./calendars/holidays
RUN pip install --no-cache-dir build && python -m build --wheel --outdir /dist

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PYTHONIOENCODING=utf-8 TZ=Asia/Shanghai
COPY --from=build /dist/*.whl /tmp/
RUN pip install --no-cache-dir /tmp/*.whl && rm /tmp/*.whl \
    && useradd --create-home --uid 10001 orglife
USER orglife
WORKDIR /home/orglife
CMD ["orglife", "demo"]
