package earshot.jobs;

/**
 * The keys of a job's payload, in one place. The submission sets the inputs; each stage adds what it produced, and
 * the next stage reads it. Job files are object keys of the artifact store ({@code earshot.artifacts}), so a runner
 * on any node fetches them; the {@code *_file} and {@code upload_path} absolute paths are what earlier versions
 * wrote, still read for jobs they queued.
 */
public final class PayloadKeys {
  private PayloadKeys() {}

  // ---- inputs (set at submission) ----------------------------------------------------------------------------
  /** http(s) URL to download (runs audio_download). */
  public static final String URL = "url";
  /** Absolute server-local path under an allowed root. */
  public static final String LOCAL_PATH = "local_path";
  /** An upload's object key in the artifact store ({@code jobs/<uuid>/upload.<ext>}), kept until the job completes. */
  public static final String UPLOAD_KEY = "upload_key";
  /**
   * A presigned upload's key as a client submits it ({@code uploads/<owner>/...}); the API checks it and moves the
   * object to the job's {@link #UPLOAD_KEY}, so it never reaches a stage.
   */
  public static final String OBJECT_KEY = "object_key";
  /** Earlier versions: an upload's absolute path under {@code data_dir/work/<uuid>/}. */
  public static final String UPLOAD_PATH = "upload_path";
  /** Original file name of an upload, for content sniffing and messages. */
  public static final String FILE_NAME = "file_name";
  public static final String MODEL = "model";
  /** ISO-639-1 code, or "auto". */
  public static final String LANGUAGE = "language";
  public static final String TRANSLATE = "translate";
  public static final String PROMPT = "prompt";
  /**
   * whisper.cpp's sampling parameters ({@code whisper_full_params} names); an absent one is the node's default
   * ({@code audio.whisper}), and where that is unset too, whisper.cpp's own.
   */
  public static final String TEMPERATURE = "temperature";
  public static final String TEMPERATURE_INC = "temperature_inc";
  public static final String BEAM_SIZE = "beam_size";
  public static final String BEST_OF = "best_of";
  public static final String WORD_TIMESTAMPS = "word_timestamps";
  public static final String PERFORM_CHUNKING = "perform_chunking";
  public static final String PERFORM_ANALYSIS = "perform_analysis";
  /** Which configured analysis provider to use. */
  public static final String API_NAME = "api_name";
  /** Where the job's end is POSTed (webhooks). */
  public static final String CALLBACK_URL = "callback_url";
  /** Optional per-job chunking overrides: {@code {max_seconds, max_chars, overlap_seconds}}. */
  public static final String CHUNKING = "chunking";

  /**
   * A saved live stream ({@code "save": true}): the payload already holds its {@link #TRANSCRIPT} (the stream's
   * committed text) and {@link #DURATION_SECONDS}, so audio_convert and audio_transcribe do not apply. Set only by
   * {@code earshot.stream}, never from a client's request.
   */
  public static final String STREAMED = "streamed";
  /** A saved live stream: its audio, a 16 kHz mono WAV under the job's results directory. */
  public static final String STREAM_AUDIO = "stream_audio";

  // ---- produced by stages ------------------------------------------------------------------------------------
  /** audio_download: the downloaded file's object key ({@code jobs/<uuid>/source.<ext>}). */
  public static final String SOURCE_KEY = "source_key";
  /** audio_convert: the object key of the 16 kHz mono signed 16-bit little-endian PCM, no header. */
  public static final String PCM_KEY = "pcm_key";
  /** Earlier versions: the downloaded file's absolute path. */
  public static final String SOURCE_FILE = "source_file";
  /** Earlier versions: the PCM's absolute path. */
  public static final String PCM_FILE = "pcm_file";
  /** audio_convert: duration in seconds, from the decoded sample count (checked against the probe). */
  public static final String DURATION_SECONDS = "duration_seconds";
  /** audio_transcribe: {@code earshot.transcribe.Transcript#toJson()}. */
  public static final String TRANSCRIPT = "transcript";
  /** audio_chunk: list of {@code {id, start, end, text}}. */
  public static final String CHUNKS = "chunks";
  /** audio_analyze: the provider's answer. */
  public static final String ANALYSIS = "analysis";
}
