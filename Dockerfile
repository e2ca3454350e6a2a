# Slim, non-root image. Default command: the service (calendar feeds over HTTP on port 8080);
# `docker run … orglife demo` runs the demo district's check instead.
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
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request as u; u.urlopen('http://127.0.0.1:8080/healthz', timeout=4)"
CMD ["orglife", "serve", "--host", "0.0.0.0", "--port", "8080"]
