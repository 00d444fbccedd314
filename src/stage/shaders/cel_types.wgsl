// MToon's parameters as the cel shader's vertex and fragment stages read them; see `Toon`
// in materials.rs for what each field holds.
#define_import_path encore::cel_types

struct Toon {
    shade: vec4<f32>,
    shading: vec4<f32>,
    rim: vec4<f32>,
    shape: vec4<f32>,
    emissive: vec4<f32>,
    outline: vec4<f32>,
    uv: vec4<f32>,
    uv_offset: vec4<f32>,
    sphere: vec4<f32>,
};
