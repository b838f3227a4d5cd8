package earshot.pipeline;

import earshot.config.EarshotConfig;
import earshot.jobs.JobStage;
import earshot.jobs.PayloadKeys;
import earshot.jobs.PermanentStageException;
import earshot.jobs.RetryableStageException;
import earshot.runner.StageContext;
import earshot.runner.StageHandler;
import earshot.runner.StageOutcome;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

/**
 * audio_analyze: sends the transcript's text to the job's analysis provider, an OpenAI-compatible
 * {@code POST {base_url}/chat/completions}, and stores the answer ({@code choices[0].message.content}) as
 * {@code analysis}. A rejected API key (401/403) is a configuration error and fails the job; every other provider
 * problem (5xx, 429, timeouts, connection faults, an answer of the wrong shape) is retried with backoff.
 *
 * <p>Threading: runs on the runner's context and never blocks it; one HTTP client per run, closed at its end.
 * Provider URLs come from the operator's config, so they are not subject to the download's address policy.
 */
public final class AnalyzeStage implements StageHandler {
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(120);

  static final String SYSTEM_PROMPT = """
      You analyse transcripts of audio recordings. Reply with a concise summary of what is said, followed by the \
      main topics, any decisions or action items, and the overall tone. Answer in the transcript's language and do \
      not invent anything that is not in the transcript.""";

  private final Map<String, EarshotConfig.Provider> providers;
  private final Duration timeout;

  public AnalyzeStage(EarshotConfig.Audio audio) {
    this(audio, DEFAULT_TIMEOUT);
  }

  /** {@code timeout} bounds the whole provider call (connect, request, answer). */
  public AnalyzeStage(EarshotConfig.Audio audio, Duration timeout) {
    this.providers = audio.providers();
    this.timeout = timeout;
  }

  @Override
  public JobStage stage() {
    return JobStage.AUDIO_ANALYZE;
  }

  @Override
  public Future<StageOutcome> execute(StageContext ctx) {
    JsonObject payload = ctx.payload();
    EarshotConfig.Provider provider;
    String text;
    try {
      provider = provider(apiName(payload));
      text = transcriptText(payload);
    } catch (PermanentStageException e) {
      return Future.failedFuture(e);
    }
    if (text.isBlank()) {
      // Silence has nothing to analyse; asking a paid provider about it would only cost.
      return Future.succeededFuture(StageOutcome.completed(payload.put(PayloadKeys.ANALYSIS, "")));
    }
    HttpClient client = ctx.vertx().createHttpClient(new HttpClientOptions()
        .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, timeout.toMillis())));
    return ask(client, provider, text)
        .timeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
        .<StageOutcome>map(answer -> StageOutcome.completed(payload.put(PayloadKeys.ANALYSIS, answer)))
        .recover(e -> Future.failedFuture(classify(provider, e)))
        .eventually(client::close);
  }

  /** The provider named by the job, or the only one configured when the job names none. */
  EarshotConfig.Provider provider(String apiName) {
    if (apiName == null && providers.size() == 1) {
      return providers.values().iterator().next();
    }
    EarshotConfig.Provider p = apiName == null ? null : providers.get(apiName);
    if (p == null) {
      String configured = providers.isEmpty() ? "none is configured" : "configured: " + String.join(", ",
          new TreeSet<>(providers.keySet()));
      throw new PermanentStageException((apiName == null ? "no api_name given" : "unknown api_name '" + apiName + "'")
          + " for analysis (" + configured + ")");
    }
    return p;
  }

  private static String apiName(JsonObject payload) {
    Object name = payload.getValue(PayloadKeys.API_NAME);
    if (name != null && !(name instanceof String)) {
      throw new PermanentStageException("api_name must be a string, got " + name);
    }
    return (String) name;
  }

  private static String transcriptText(JsonObject payload) {
    Object transcript = payload.getValue(PayloadKeys.TRANSCRIPT);
    if (!(transcript instanceof JsonObject t) || !(t.getValue("text") instanceof String text)) {
      throw new PermanentStageException("no transcript text to analyse");
    }
    return text;
  }

  private Future<String> ask(HttpClient client, EarshotConfig.Provider provider, String text) {
    JsonObject body = new JsonObject()
        .put("model", provider.model())
        .put("messages", new JsonArray()
            .add(new JsonObject().put("role", "system").put("content", SYSTEM_PROMPT))
            .add(new JsonObject().put("role", "user").put("content", text)));
    RequestOptions options = new RequestOptions()
        .setMethod(HttpMethod.POST)
        .setAbsoluteURI(endpoint(provider))
        .setIdleTimeout(timeout.toMillis())
        .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
        .putHeader(HttpHeaders.ACCEPT, "application/json");
    if (provider.apiKey() != null && !provider.apiKey().isBlank()) {
      options.putHeader(HttpHeaders.AUTHORIZATION, "Bearer " + provider.apiKey());
    }
    return client.request(options)
        .compose(request -> request.send(body.toBuffer()))
        .compose(response -> response.body().map(answer -> answer(provider, response, answer)));
  }

  private static String answer(EarshotConfig.Provider provider, HttpClientResponse response, Buffer body) {
    int status = response.statusCode();
    if (status == 401 || status == 403) {
      throw new PermanentStageException("analysis provider '" + provider.name() + "' refused the credentials (HTTP "
          + status + "): check its api_key_env setting");
    }
    if (status < 200 || status >= 300) {
      throw new RetryableStageException("analysis provider '" + provider.name() + "' answered HTTP " + status);
    }
    String content = content(body);
    if (content == null) {
      throw new RetryableStageException("analysis provider '" + provider.name()
          + "' sent an answer without choices[0].message.content");
    }
    return content;
  }

  /** {@code choices[0].message.content}, or null when the answer has another shape. */
  private static String content(Buffer body) {
    JsonObject json;
    try {
      json = new JsonObject(body);
    } catch (DecodeException | ClassCastException e) {
      return null;
    }
    if (json.getValue("choices") instanceof JsonArray choices && !choices.isEmpty()
        && choices.getValue(0) instanceof JsonObject first && first.getValue("message") instanceof JsonObject message
        && message.getValue("content") instanceof String content) {
      return content;
    }
    return null;
  }

  private static String endpoint(EarshotConfig.Provider provider) {
    String base = provider.baseUrl();
    return (base.endsWith("/") ? base.substring(0, base.length() - 1) : base) + "/chat/completions";
  }

  private static Throwable classify(EarshotConfig.Provider provider, Throwable e) {
    if (e instanceof PermanentStageException || e instanceof RetryableStageException) {
      return e;
    }
    String what = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    return new RetryableStageException("analysis provider '" + provider.name() + "' failed: " + what, e);
  }
}
