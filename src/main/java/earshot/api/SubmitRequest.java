package earshot.api;

import earshot.jobs.PayloadKeys;
import earshot.transcribe.Languages;
import earshot.transcribe.ModelRegistry;
import earshot.transcribe.WhisperEngine.Sampling;
import io.vertx.core.MultiMap;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.function.Function;

/**
 * Validates a job submission, from a JSON body or from multipart form fields (where every value is a string), into
 * the job payload. Every error is an {@link ApiError} naming the field. Pure; any thread.
 */
public record SubmitRequest(JsonObject payload, int priority, String callbackUrl) {
  static final int MAX_PRIORITY = 100;

  /**
   * A JSON submission: exactly one of {@code url}, {@code local_path} or {@code object_key} (a presigned upload's
   * key, which the caller checks and turns into the job's upload).
   */
  public static SubmitRequest fromJson(JsonObject body) {
    SubmitRequest r = parse(body::getValue, false);
    int inputs = 0;
    for (String input : new String[] {PayloadKeys.URL, PayloadKeys.LOCAL_PATH, PayloadKeys.OBJECT_KEY}) {
      inputs += r.payload.containsKey(input) ? 1 : 0;
    }
    if (inputs != 1) {
      throw ApiError.invalid("url", "give exactly one of url, local_path or object_key");
    }
    return r;
  }

  /** The form fields of an upload; the file itself is handled by the caller. */
  public static SubmitRequest fromForm(MultiMap form) {
    SubmitRequest r = parse(form::get, true);
    if (r.payload.containsKey(PayloadKeys.URL) || r.payload.containsKey(PayloadKeys.LOCAL_PATH)
        || r.payload.containsKey(PayloadKeys.OBJECT_KEY)) {
      throw ApiError.invalid("file", "an upload carries its audio as the file part, not url, local_path or object_key");
    }
    return r;
  }

  private static SubmitRequest parse(Function<String, Object> in, boolean form) {
    Fields f = new Fields(in, form);
    JsonObject p = new JsonObject();
    String url = f.string("url");
    if (url != null) {
      p.put(PayloadKeys.URL, httpUrl("url", url));
    }
    String localPath = f.string("local_path");
    if (localPath != null) {
      if (!localPath.startsWith("/")) {
        throw ApiError.invalid("local_path", "must be an absolute path");
      }
      p.put(PayloadKeys.LOCAL_PATH, localPath);
    }
    String objectKey = f.string(PayloadKeys.OBJECT_KEY);
    if (objectKey != null) {
      p.put(PayloadKeys.OBJECT_KEY, objectKey);
    }
    p.put(PayloadKeys.MODEL, knownModel(orDefault(f.string("model"), "whisper-1")));
    p.put(PayloadKeys.LANGUAGE, knownLanguage(f.string("language")));
    p.put(PayloadKeys.TRANSLATE, f.bool("translate", false));
    p.put(PayloadKeys.WORD_TIMESTAMPS, f.bool("word_timestamps", false));
    p.put(PayloadKeys.PERFORM_CHUNKING, f.bool("perform_chunking", true));
    p.put(PayloadKeys.PERFORM_ANALYSIS, f.bool("perform_analysis", false));
    String apiName = f.string("api_name");
    if (apiName != null) {
      p.put(PayloadKeys.API_NAME, apiName);
    }
    String prompt = f.string("prompt");
    if (prompt != null) {
      p.put(PayloadKeys.PROMPT, prompt);
    }
    Double temperature = f.number("temperature");
    if (temperature != null) {
      if (!(temperature >= 0 && temperature <= 1)) { // also refuses a form's "NaN"
        throw ApiError.invalid("temperature", "must be between 0 and 1");
      }
      p.put(PayloadKeys.TEMPERATURE, temperature);
    }
    sampling(f, p);
    Double priority = f.number("priority");
    if (priority != null && (priority != Math.rint(priority) || priority < 0 || priority > MAX_PRIORITY)) {
      throw ApiError.invalid("priority", "must be an integer from 0 to " + MAX_PRIORITY);
    }
    String callback = f.string("callback_url");
    return new SubmitRequest(p, priority == null ? 0 : priority.intValue(),
        callback == null ? null : httpUrl("callback_url", callback));
  }

  /** whisper.cpp's other sampling parameters; an absent one is the node's default (audio.whisper). */
  private static void sampling(Fields f, JsonObject p) {
    Integer beamSize = f.integer("beam_size", 1, Sampling.MAX_DECODERS);
    if (beamSize != null) {
      p.put(PayloadKeys.BEAM_SIZE, beamSize);
    }
    Integer bestOf = f.integer("best_of", 1, Sampling.MAX_DECODERS);
    if (bestOf != null) {
      p.put(PayloadKeys.BEST_OF, bestOf);
    }
    Double temperatureInc = f.number("temperature_inc");
    if (temperatureInc != null) {
      if (!(temperatureInc >= 0 && temperatureInc <= 1)) {
        throw ApiError.invalid("temperature_inc", "must be between 0 and 1 (0 turns the fallback off)");
      }
      p.put(PayloadKeys.TEMPERATURE_INC, temperatureInc);
    }
  }

  /** A well-formed but unknown model name is unprocessable (422), not malformed. */
  static String knownModel(String model) {
    if (!ModelRegistry.isKnown(model)) {
      throw new ApiError(422, ProblemTypes.UNKNOWN_MODEL, "Unknown model",
          "model: " + Echo.quoted(model) + " is not a whisper model; use whisper-1 or one of " + ModelRegistry.BASE_NAMES, "model");
    }
    return model;
  }

  /**
   * The job's language, lower-cased, or "auto" when none was given; a code whisper.cpp does not know is refused
   * (400) rather than left to run and report it back.
   */
  static String knownLanguage(String language) {
    String code = Languages.orAuto(language);
    if (!Languages.accepts(code)) {
      throw ApiError.invalid("language", "'" + language.strip() + "' is not a language whisper knows; use \"auto\" or"
          + " an ISO-639-1 code such as \"en\" (" + Languages.codes().size() + " are supported)");
    }
    return code;
  }

  private static String httpUrl(String field, String value) {
    try {
      URI uri = new URI(value);
      String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
      if (!scheme.equals("http") && !scheme.equals("https") || uri.getHost() == null) {
        throw ApiError.invalid(field, "must be an absolute http or https URL");
      }
      return value;
    } catch (URISyntaxException e) {
      throw ApiError.invalid(field, "is not a valid URL");
    }
  }

  private static String orDefault(String v, String fallback) {
    return v == null || v.isBlank() ? fallback : v;
  }

  /** Typed access to one field; JSON values must have the right type, form values are parsed from text. */
  private record Fields(Function<String, Object> in, boolean form) {
    String string(String name) {
      Object v = in.apply(name);
      if (v == null) {
        return null;
      }
      if (!(v instanceof String s)) {
        throw ApiError.invalid(name, "must be a string");
      }
      if (s.length() > 8192) {
        throw ApiError.invalid(name, "is too long");
      }
      return s;
    }

    boolean bool(String name, boolean fallback) {
      Object v = in.apply(name);
      if (v == null) {
        return fallback;
      }
      if (v instanceof Boolean b) {
        return b;
      }
      if (form && v instanceof String s && (s.equalsIgnoreCase("true") || s.equalsIgnoreCase("false"))) {
        return Boolean.parseBoolean(s);
      }
      throw ApiError.invalid(name, "must be true or false");
    }

    Integer integer(String name, int min, int max) {
      Double v = number(name);
      if (v != null && (v != Math.rint(v) || v < min || v > max)) {
        throw ApiError.invalid(name, "must be an integer from " + min + " to " + max);
      }
      return v == null ? null : v.intValue();
    }

    Double number(String name) {
      Object v = in.apply(name);
      if (v == null) {
        return null;
      }
      if (v instanceof Number n) {
        return n.doubleValue();
      }
      if (form && v instanceof String s) {
        try {
          return Double.parseDouble(s.trim());
        } catch (NumberFormatException e) {
          throw ApiError.invalid(name, "must be a number");
        }
      }
      throw ApiError.invalid(name, "must be a number");
    }
  }
}
