FROM python:3.11-slim
WORKDIR /app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
COPY pyproject.toml README.md ./
COPY bot bot
COPY nlu nlu
COPY flows flows
COPY escalation escalation
COPY store store
RUN pip install --no-cache-dir .
RUN useradd --create-home helpline && mkdir -p /app/var && chown helpline /app/var
USER helpline
EXPOSE 8080
CMD ["helpline", "serve"]
