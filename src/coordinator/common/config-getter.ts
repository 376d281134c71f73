// How coordinators read broker settings: by Kafka key, without depending on the config module's
// class (the wiring passes `(key) => config.get(key)`).
export type ConfigGetter = (key: string) => unknown;
