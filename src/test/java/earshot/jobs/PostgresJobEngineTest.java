package earshot.jobs;

import earshot.testsupport.Databases;

class PostgresJobEngineTest extends JobEngineContract {
  @Override
  Databases.Kind kind() {
    return Databases.Kind.POSTGRES;
  }
}
