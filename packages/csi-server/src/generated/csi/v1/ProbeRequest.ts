// Original file: src/proto/csi.proto


export interface ProbeRequest {
}

export interface ProbeRequest__Output {
}
